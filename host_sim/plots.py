"""Plot a simulation trace: temperatures, heater, browning."""

import io

from host_sim import outputs


def plot_trace(trace, result, out_path):
    """Write the plot as a PNG to out_path, atomically."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [row[0] for row in trace]
    col = lambda i: [row[i] if row[i] != "" else float("nan") for row in trace]  # noqa: E731
    fig, (ax_t, ax_h, ax_e) = plt.subplots(3, 1, figsize=(10, 8), sharex=True,
                                           gridspec_kw={"height_ratios": [3, 1, 2]})
    ax_t.plot(t, col(3), label="chamber")
    ax_t.plot(t, col(4), label="sensor (guard)", linewidth=0.8)
    ax_t.plot(t, col(5), label="bread surface")
    ax_t.plot(t, col(7), label="fuse body", linestyle=":")
    ax_t.axhline(result["limits"]["cutoff_c"], color="red", linestyle="--", linewidth=0.8, label="cut-off")
    ax_t.set_ylabel("temperature (C)")
    ax_t.legend(loc="upper left", fontsize=8)
    # the scenario's name is the user's text: never mathtext
    ax_t.set_title("%s  (hazard: %s)" % (result["scenario"], result["hazard"]), parse_math=False)
    ax_h.step(t, col(1), where="post", label="heater command")
    ax_h.step(t, col(2), where="post", label="element powered", linestyle="--")
    ax_h.set_ylabel("heater")
    ax_h.set_yticks([0, 1])
    ax_h.legend(loc="upper left", fontsize=8)
    ax_e.plot(t, col(6), label="browning dE")
    for b in result["batches"]:
        ax_e.axhline(6 * b["shade_target"], color="grey", linestyle=":", linewidth=0.8)
    ax_e.axhline(46, color="black", linestyle="--", linewidth=0.8, label="burnt (dE 46)")
    ax_e.set_ylabel("dE")
    ax_e.set_xlabel("time (s)")
    ax_e.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    png = io.BytesIO()
    fig.savefig(png, dpi=100, format="png")
    plt.close(fig)
    outputs.write_bytes(out_path, png.getvalue())
