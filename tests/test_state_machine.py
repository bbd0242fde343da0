"""Hypothesis drives the real firmware loop + guard + plant with a hostile model, random
faults and lever actions; the invariants and the hazard criteria are checked after every
step."""

import math

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from host_sim import hazard
from host_sim.bread import PRESET_NAMES
from host_sim.runner import Simulation
from host_sim.scenario import FAULT_KINDS, Batch, Fault, Scenario, Toaster, beyond_software
from safety import limits

ANSWERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 4.999, 5.0, 240.0, 240.001, 1e308, math.nan, math.inf]),
    st.floats(min_value=0.0, max_value=300.0),
)


class HostileModel:
    """A model the state machine reprograms between steps."""

    def __init__(self):
        self.behaviour = ("value", 150.0)
        self.sleep_ms = None

    def predict(self, x):
        kind, arg = self.behaviour
        if kind == "raise":
            raise arg("hostile")
        if kind == "slow":
            self.sleep_ms(arg)
            return 150.0
        if kind == "hot":  # longest time exactly when the chamber is hot
            return 239.9 if x[5] > arg else 60.0
        return arg


class ToasterMachine(RuleBasedStateMachine):
    @initialize(ambient=st.floats(5.0, 40.0), ratio=st.floats(0.8, 1.1),
                warm=st.floats(0.0, 120.0), seed=st.integers(0, 2 ** 16))
    def setup(self, ambient, ratio, warm, seed):
        toaster = Toaster(ambient_c=ambient, supply_v=230.0 * ratio, chamber_start_c=ambient + warm)
        self.model = HostileModel()
        self.sim = Simulation(Scenario("hypothesis", seed, toaster, [], []), model=self.model)
        self.model.sleep_ms = self.sim.rig.spend_ms

    @rule(answer=ANSWERS)
    def model_answers(self, answer):
        self.model.behaviour = ("value", answer)

    @rule(exc=st.sampled_from([RuntimeError, ValueError, ZeroDivisionError, MemoryError]))
    def model_raises(self, exc):
        self.model.behaviour = ("raise", exc)

    @rule(delay=st.integers(0, 1900))
    def model_is_slow(self, delay):
        self.model.behaviour = ("slow", delay)

    @rule(hot=st.floats(20.0, 150.0))
    def model_max_on_hot(self, hot):
        self.model.behaviour = ("hot", hot)

    @rule(bread=st.sampled_from(PRESET_NAMES), frozen=st.booleans(), shade=st.integers(1, 7),
          thickness=st.none() | st.floats(10.0, 30.0))
    def press_lever(self, bread, frozen, shade, thickness):
        if self.sim.current is None:
            self.sim.start_batch(Batch(bread, frozen, shade, thickness))
        else:
            self.sim.rig.press_lever()

    @rule()
    def lift_lever(self):
        self.sim.rig.carriage_down = False
        self.sim.rig.hold_until_ms = -1

    @rule(kind=st.sampled_from(FAULT_KINDS), duration=st.none() | st.floats(0.1, 120.0))
    def fault(self, kind, duration):
        if beyond_software([f.kind for f in self.sim.rig.faults] + [kind]):
            return  # hazard H15: the hardware layers' case (benchmarks/double_fault.py)
        self.sim.rig.add_fault(Fault(kind, self.sim.rig.now_ms / 1000.0, duration))

    @rule(seconds=st.integers(1, 240))
    def time_passes(self, seconds):
        sim = self.sim
        for _ in range(seconds * 1000 // limits.TICK_MS):
            sim.board_tick()
            sim.finish_tick()
            if sim.current is not None and sim.batch_over():
                sim.finish_batch()

    @invariant()
    def safe(self):
        sim = getattr(self, "sim", None)
        if sim is None:
            return
        p = sim.rig.plant
        assert sim.violations() == []
        assert sim.exceptions == 0
        assert not p.ignited
        assert p.max_chamber_c < hazard.FIRE_CHAMBER_C
        assert sim.max_uncontrolled_ms <= hazard.UNCONTROLLED_MAX_S * 1000


ToasterMachine.TestCase.settings = settings(settings(), max_examples=min(settings().max_examples, 40),
                                            stateful_step_count=25)
TestToaster = ToasterMachine.TestCase
