"""`python -m demos.main` in a clone: the demo `nn.demos.main`."""

from nn.demos.main import main

if __name__ == "__main__":
    raise SystemExit(main())
