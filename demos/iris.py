"""`python -m demos.iris` in a clone: the demo `nn.demos.iris`."""

from nn.demos.iris import main

if __name__ == "__main__":
    raise SystemExit(main())
