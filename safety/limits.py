"""Every safety limit of toastguard, in one place, each with its reason.

Integers only: milliseconds, deci-degrees Celsius (dc, 2300 = 230.0 C), per-mille.
These are compile-time constants of the firmware build. Nothing reads them from serial,
from a file or from the model; changing one is a code change with review.

The numbers were set against the host_sim plant (a 900 W two-slot toaster,
host_sim/plant.py, checked against published values in docs/PLANT.md) and the fire
criterion of host_sim/hazard.py, by `python -m benchmarks.fire_envelope` over the whole
declared envelope with the surface sensing at its worst corner and each single fault;
the boundary sweeps in tests/test_guard*.py and the campaigns check them.
"""

try:
    from micropython import const
except ImportError:
    def const(x):  # type: ignore[misc]  # CPython stand-in for the MicroPython built-in
        return x

# --- control loop -------------------------------------------------------------------
TICK_MS = const(100)  # control period; the issue asks for <= 100 ms
STALL_MS = const(500)  # a gap this long between guard steps means the loop stalled:
# five missed ticks, far beyond jitter (<5 ms measured on the Pico at 125 MHz)
WATCHDOG_MS = const(2000)  # hardware watchdog: the board resets (heater pin low) if the
# loop does not feed it for this long; above the 500 ms model deadline plus one tick

# --- time caps (heater-on time in one batch) ----------------------------------------
TIME_CAP_MS = const(420000)  # absolute: 7 min of real heater-on time, whatever the
# voltage and whatever the surface reads; dark shades of frozen 25 mm dense bread at
# 0.9 x rated mains need ~6 min in the plant (benchmarks.reach), the longest settings of
# common toasters are 3.5-5 min at rated mains (docs/PLANT.md P2).
# The degraded dose cap (a batch whose surface sensing is not trusted, safety/surface.py),
# in on-time at rated voltage (see the supply weighting below), one for every shade. It
# is a fire limit, not a browning limit: no slice may ignite (host_sim/hazard.py:
# surface >= 300 C giving off >= 1 g/m2 s of pyrolysis gas) whatever the model asks. Set
# by `python -m benchmarks.fire_envelope` on the plant of docs/PLANT.md over the whole
# declared envelope: every preset, fresh and frozen, 10-30 mm, 5-40 C rooms, 0.8-1.1 x
# rated mains, the element at the top of its IEC 60335-1 tolerance (+5 %), back to back
# until the start reading settles, a model that always asks the longest; the batch must
# end at least 10 s before the slice would ignite if heating went on. The limiting slice
# is a 10 mm brioche (the lightest load): from cold in a 40 C room it ignites after
# ~153 s at rated power, right after a batch after ~115 s.
# Between the model's advice and this cap the toast may burn; nothing else can.
DOSE_CAP_MS = const(146000)
SHADE_MIN = const(1)
SHADE_MAX = const(7)
# A hot chamber (a batch just before) dries and chars bread sooner: the cap shrinks by
# 0.62 s per degree of the start reading above 30 C (the envelope's fire time falls
# ~0.6 s per degree of start reading, element heat of a batch 5 s before included).
HOT_DERATE_FROM_DC = const(300)
HOT_DERATE_MS_PER_DC = const(62)
MIN_CAP_MS = const(20000)  # never below this: a 20 s batch cannot dry, let alone char
# Element energy scales with the square of the mains voltage: the guard weights on-time
# by (V / V_rated)^2 (the delivered energy, which a bimetal thermal timer integrates too)
# and holds that dose under the cap; at low mains the wall-clock time cap above ends the
# batch first. A slice's ignition time falls faster than 1/power (the dry crust's rise
# over 100 C grows with heat flux squared times time: docs/PLANT.md P15, time ~ P^-2.3),
# so below rated the energy dose errs on the safe side and above rated it does not: there
# each per-mille of over-voltage counts OVERVOLT_WEIGHT times more, fitted by the fire
# envelope. (Holding the mean power at rated by pausing the SSR was tried and dropped: a
# welded SSR defeats the pause silently, and the fuzz campaign found the slice then ran
# at full power for a batch the guard had accounted at rated.)
OVERVOLT_WEIGHT = const(3)
SUPPLY_MAX_PM = const(1100)  # per-mille of rated: +10 % is the mains tolerance
# (IEC 60038); above it the element is over-driven and the guard will not heat
SUPPLY_MIN_PM = const(800)  # below 0.8 x rated the element cannot toast within the caps
# (and the heating-gain check's margins were set for >= 0.8); a brownout or broken sense

# --- model advice -------------------------------------------------------------------
MODEL_MIN_MS = const(5000)  # shorter than any real batch: treat as garbage
MODEL_DEADLINE_MS = const(500)  # a later answer is discarded (the heater waits for it)
# Non-ML time table, per shade: calibrated cold start, white bread, 230 V, fresh
# (host_sim plant; tests/test_sim.py re-derives it). The dose cap ends its dark shades.
FALLBACK_MS = (110000, 127000, 139000, 149000, 159000, 170000, 182000)

# --- thermal cut-off and re-arm -----------------------------------------------------
CUTOFF_DC = const(2200)  # 220 C at the chamber sensor: ordinary batches peak below
# 170 C even back to back; the 240 C thermal fuse (safety/FUSE.md) sits above, and the
# 300 C chamber fire threshold above that
REARM_DC = const(600)  # after a fault, re-arming needs the chamber below 60 C: cool
# enough to touch the slot (IEC 60335-2-9 handles <= 60 C) and far below any limit
REARM_COOL_MS = const(900000)  # ...and after a fault the thermistor itself may have
# caused (range, rate, heating gain, rising while off) also 15 minutes in fault: the
# re-arm must not rest on the suspect reading alone, and the clock is the other witness.
# The plant's chamber cools from the 220 C cut-off to 60 C in a 40 C room in ~14 min.
START_MAX_DC = const(1500)  # a batch will not start in a chamber at/above 150 C
LOCKOUT_MS = const(3000)  # after a batch ends, the lever will not start a new one for
# 3 s: the user must take the toast out, and a bouncing lever is not a new press

# --- sensor plausibility ------------------------------------------------------------
SENSOR_MIN_DC = const(-50)  # -5 C: the toaster is rated for 5-40 C rooms, so colder
# means an open thermistor or a broken joint
SENSOR_MAX_DC = const(3500)  # 350 C: past the chamber fire threshold; a short or fire
MAX_RATE_DC_PER_S = const(500)  # 50 C/s: the bead (tau 2.5 s) in a chamber that
# rises < 3 C/s cannot move faster; faster is a loose contact or interference
RATE_SLACK_DC = const(30)  # per-step allowance for ADC noise (+-1.5 counts ~ 0.6 C)

# --- heating gain (after Klipper verify_heater) -------------------------------------
# A toaster has no set point, and a hot chamber at low mains may cool for a minute and a
# half while heating (the bread and the losses outrun the element), so the rise is only
# demanded below GAIN_BELOW_DC, where the plant always warms.
GAIN_DELAY_MS = const(20000)  # the element needs ~15 s to reach glowing temperature
GAIN_WINDOW_MS = const(30000)  # then every 30 s of on-time...
GAIN_MIN_DC = const(10)  # ...the reading must rise >= 1 C (slowest legit in the plant:
# 1.4 C per 30 s: frozen bread, 0.8 x rated mains, 5 C room, chamber just under 60 C)
GAIN_BELOW_DC = const(600)
# At any temperature, while heating the reading must not fall fast: the slowest legit
# case dips 2 C in 5 s; a detached bead falls ~8 C per second.
FALL_WINDOW_MS = const(5000)
FALL_MAX_DC = const(80)

# --- rising while commanded off (a welded relay) ------------------------------------
OFF_SETTLE_MS = const(20000)  # the element's stored heat lifts the chamber for ~15 s
# after switch-off; after that the chamber can only cool...
OFF_RISE_DC = const(50)  # ...so a rise of 5 C over the lowest reading since means the
# element is still powered: a welded relay (neither Klipper nor Marlin checks this)

# --- bread surface, one IR thermopile per slot (safety/surface.py) ---------------------
# The thermopile is an MLX90614KSF-ACF class part (docs/MAKER.md): object -70..380 C,
# body -40..125 C, gradient compensated, 10 degree view through a purged window.
SURF_MIN_DC = const(-400)  # -40 C: frozen bread is -18 C; colder is a sensor fault
SURF_MAX_DC = const(3800)  # 380 C: the sensor's calibrated object range ends here
BODY_MIN_DC = const(-400)  # the sensor's own calibrated range (K grade)
BODY_MAX_DC = const(1250)
SURF_SETTLE_MS = const(1000)  # after the press the view moves from the tab to the slice
# (the sensor settles in 0.14 s; the carriage takes a few tenths of a second to fall)
SLICE_MAX_DC = const(1300)  # once settled, a slot reads its slice: at most ~80 C at the
# press (a 40 C slice in a 150 C chamber, emissivity 0.85, +4 C), while the tab behind it
# is >= 180 C. Reading 130 C or more, the slot sees the tab: it is empty, or its slice
# misses the view. Either way the guard cannot watch that slot's slice: degraded.
SURF_MAX_RATE_DC_PER_S = const(1500)  # 150 C/s: the fastest a slice moves in the plant
# is 9 C in one tick, when its surface dries; faster is a jump (a bump, a loose view)
SURF_RATE_SLACK_DC = const(30)  # the sensor's noise (0.18 C rms) and quantisation
SURF_STUCK_MS = const(3000)  # a live reading changes every tick (noise 1.8 dC rms):
# 3 s without one change is a stuck bus or a frozen sensor
SURF_FALL_WINDOW_MS = const(5000)  # a slice under a glowing element only warms: a fall
SURF_FALL_DC = const(100)  # of 10 C within 5 s is a view that left the slice
# The surface cut: a slice ignites (host_sim/hazard.py) at a surface of 300-320 C in the
# plant, but its thermopile may read it up to ~26 C low and still be trusted: the
# datasheet's accuracy (4 C at each temperature on its own, so the tab may read 4 C high
# while the slice reads 4 C low), the bread's emissivity (0.85 under the 0.90 setting:
# 8 C), window fouling the reference check cannot see (its 6 C tolerance plus the tab's
# 4 C, <= 13 C at the slice; a lens partly off the tab, ~17 C, in its place) and lag
# (< 1 C); 21 C measured at that corner: docs/PLANT.md
# S9. Against that worst corner `python -m benchmarks.fire_envelope` sets the cut: every
# batch must end at least 10 s before its slice would ignite if heating went on.
RISE_WINDOW_MS = const(2000)  # the rise the cut projects ahead is measured over 2 s
CUT_LEAD_MS = const(10000)  # projected this far ahead (the promised 10 s fire margin)
SURFACE_CUT_DC = const(2870)  # 287 C projected: least margin over the envelope in fire_envelope
# A slice that has dried right through loses its evaporative sink and heats fast with no
# warning in its rate (thin slices at low mains, after minutes near 260 C): the time a
# slot may read HOT_DC or more is bounded. A 10 mm slice drying through at 0.8 x mains,
# read ~21 C low at the worst corner, outran the projected cut with 230 C and 45 s (8.8 s
# to ignition); from 220 C, 45 s leave the fire envelope its 10 s.
HOT_DC = const(2200)
HOT_BUDGET_MS = const(45000)
# --- the reference tab and the long cap
REF_MIN_DC = const(1800)  # the tab's heater holds it near 200 C; colder: no check
REF_CONTRAST_DC = const(1000)  # tab at least 100 C above the thermopile's body
REF_BACKGROUND_DC = const(1000)  # and 100 C above the chamber: a view knocked partly off
# the tab sees the chamber's walls instead, and reads the tab low only as far as the walls
# are colder. With the walls 100 C below the tab, the worst misalignment the check passes
# reads a 300 C slice ~17 C low (host_sim/sensing.py); with them 20 C below, ~50 C.
REF_TOL_DC = const(60)  # a thermopile must read the tab within 6 C of its thermistor
REF_SETTLE_MS = const(500)  # for at least 0.5 s ...
REF_FRESH_MS = const(2000)  # ... ending no more than 2 s before the press (shorter than
# LOCKOUT_MS: a pass from before a batch has expired when the next one may start)
PURGE_WINDOW_MS = const(1000)  # the purge fan's tachometer is judged over whole seconds:
# a 2-pulse-per-revolution fan at 1500 rpm gives 50 pulses a second, the slowest that still
# keeps the windows clear (its nominal speed is several times that); fewer: no purge
PURGE_MIN_PULSES = const(50)
FULL_DOSE_CAP_MS = const(360000)  # a batch whose surface is trusted: the surface cut is
# its fire limit, and this cap only bounds the element's work (the time cap ends any
# batch at 0.9 x rated first; at 1.1 x rated mains it stops a stuck model at 184 s)

# --- batch start ----------------------------------------------------------------------
ARMING_TIMEOUT_MS = const(1000)  # the firmware hands the guard its time advice within the
# tick that latched the carriage; if it has not after a second, the batch is abandoned
