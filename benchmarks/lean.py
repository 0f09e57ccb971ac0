"""The yardstick: a lean scalar engine as a careful engineer would write it, without our costs.

`__slots__`, plain-float local derivatives computed in the forward pass, no closures (so no
reference cycles), an iterative topological sort, and a plain number operand is not a node:
`x * 3.0` makes one node with one parent and local derivative 3.0. It has no checks, no rules
table, no no_grad, no constants kept for pictures and no higher order: it is what op-by-op
autograd costs in pure Python with nothing else, the bar `autograd_lite` is measured against.
"""

from __future__ import annotations

import math


class Value:
    """A scalar with its parents and the local derivative toward each."""

    __slots__ = ("_local", "_prev", "data", "grad")

    def __init__(self, data, _prev=(), _local=()):
        self.data = data
        self.grad = 0.0
        self._prev = _prev
        self._local = _local

    def __add__(self, other):
        if isinstance(other, Value):
            return Value(self.data + other.data, (self, other), (1.0, 1.0))
        return Value(self.data + other, (self,), (1.0,))

    def __mul__(self, other):
        if isinstance(other, Value):
            return Value(self.data * other.data, (self, other), (other.data, self.data))
        return Value(self.data * other, (self,), (other,))

    def __pow__(self, k):
        return Value(self.data**k, (self,), (k * self.data ** (k - 1),))

    def __neg__(self):
        return Value(-self.data, (self,), (-1.0,))

    def __sub__(self, other):
        if isinstance(other, Value):
            return Value(self.data - other.data, (self, other), (1.0, -1.0))
        return Value(self.data - other, (self,), (1.0,))

    def __rsub__(self, other):
        return Value(other - self.data, (self,), (-1.0,))

    def __truediv__(self, other):
        if isinstance(other, Value):
            q = self.data / other.data
            return Value(q, (self, other), (1.0 / other.data, -q / other.data))
        return Value(self.data / other, (self,), (1.0 / other,))

    __radd__ = __add__
    __rmul__ = __mul__

    def relu(self):
        positive = self.data > 0
        return Value(self.data if positive else 0.0, (self,), (1.0 if positive else 0.0,))

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), (1.0 - t * t,))

    def exp(self):
        e = math.exp(self.data)
        return Value(e, (self,), (e,))

    def backward(self):
        """Iterative depth-first topological sort, then the chain rule in reverse order."""
        order = []
        visited = {self}
        stack = [(self, iter(self._prev))]
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if parent not in visited:
                    visited.add(parent)
                    stack.append((parent, iter(parent._prev)))
                    break
            else:
                stack.pop()
                order.append(node)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            for parent, local in zip(node._prev, node._local):
                parent.grad += local * node.grad
