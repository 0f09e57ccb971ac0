"""`python -m demos.worked_example` in a clone: the demo `nn.demos.worked_example`."""

from nn.demos.worked_example import main

if __name__ == "__main__":
    raise SystemExit(main())
