"""`python -m demos.moons` in a clone: the demo `nn.demos.moons`."""

from nn.demos.moons import main

if __name__ == "__main__":
    raise SystemExit(main())
