"""Runnable tutorials: short scripts run as `python -m demos.NAME` or `autograd-lite demo NAME`.

- `worked_example`: the tutorials' 2-2-2 sigmoid network by hand, to the published digits.
- `xor`: an XOR-like problem learned by a small sigmoid network with `nn`.
- `moons`: two-moons classification with an MLP, its decision boundary and loss curve.
- `main`: the worked example and the moons demo together (`make demo`).
"""
