"""`python -m demos.NAME` in a clone: shortcuts to the demos, which live in and install with `nn`.

The code is in `nn/demos/`, so `autograd-lite demo NAME` runs the same demos from any install;
each module here only imports its `main` and runs it.
"""
