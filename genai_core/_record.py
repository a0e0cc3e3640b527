"""``record``: ``dataclasses.dataclass`` for the classes built when the library is imported, made
without compiling code.

A standard dataclass compiles its generated methods (``__init__``, ``__repr__``, ``__eq__``, the
frozen ``__setattr__`` and ``__delattr__``, ``__hash__``) with one ``exec`` each: about 0.7 ms
per class on a small VM, paid by every ``import genai_baseten``. A record is a real dataclass
(``dataclasses.fields``, ``dataclasses.replace``, ``dataclasses.asdict`` and ``is_dataclass``
work, and ``__dataclass_params__`` says what it is), whose methods are shared functions that read
the field list instead. Creating one costs a few percent of the standard route; making an
instance costs a few microseconds more, so it suits configuration objects, not objects made in a
hot loop.

Type checkers see ``dataclasses.dataclass`` itself. Supported: ``frozen``, ``slots`` and
``repr`` (False keeps the class's own ``__repr__``); fields with ``default``,
``default_factory``, ``repr``, ``compare`` and ``hash``; ``__post_init__`` without init-only
variables. Anything else raises TypeError when the class is made, so a class never silently
loses behaviour a plain dataclass would give it.
"""

from __future__ import annotations

import builtins
import dataclasses
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

__all__ = ["record"]

_MISSING: Any = dataclasses.MISSING


def _values(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """A function giving the values of ``names`` of an object, as a tuple."""
    if len(names) == 1:
        get = operator.attrgetter(names[0])
        return lambda obj: (get(obj),)
    if names:
        return operator.attrgetter(*names)
    return lambda obj: ()


def _listed(names: list[str]) -> str:
    """As Python words it: ``1 required positional argument: 'a'``, ``2 ...: 'a' and 'b'``."""
    if len(names) == 1:
        return f"1 required positional argument: {names[0]}"
    head = ", ".join(names[:-1]) + ("," if len(names) > 2 else "")
    return f"{len(names)} required positional arguments: {head} and {names[-1]}"


def _make(cls: type[Any], frozen: bool, slots: bool, repr: bool) -> type[Any]:
    own = dict(cls.__dict__)
    if frozen and ("__setattr__" in own or "__delattr__" in own):
        raise TypeError(f"record {cls.__name__}: a frozen record defines no __setattr__")
    cls = dataclasses.dataclass(cls, init=False, repr=False, eq=False, slots=slots)
    fields = dataclasses.fields(cls)
    pseudo = set(cls.__dataclass_fields__) - {f.name for f in fields}
    if any("InitVar" in str(cls.__dataclass_fields__[n].type) for n in pseudo):
        raise TypeError(f"record {cls.__name__}: init-only variables are not supported")
    for f in fields:
        if not f.init or f.kw_only is True:
            raise TypeError(f"record {cls.__name__}.{f.name}: init=False, kw_only unsupported")
    names = tuple(f.name for f in fields)
    known = frozenset(names)
    defaults: tuple[tuple[str, Any, Any], ...] = tuple(
        (f.name, f.default, f.default_factory) for f in fields
    )
    shown = tuple(f.name for f in fields if f.repr)
    compared = _values(tuple(f.name for f in fields if f.compare))
    hashed = _values(tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash)))
    post_init = "__post_init__" in dir(cls)
    qualname = cls.__qualname__
    assign: Callable[[object, str, Any], None] = object.__setattr__ if frozen else setattr
    repr_of = builtins.repr  # ``repr`` is the decorator's argument here

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(names):
            raise TypeError(
                f"{qualname}.__init__() takes {len(names) + 1} positional arguments but "
                f"{len(args) + 1} were given"
            )
        values = dict(zip(names, args, strict=False))
        for name, value in kwargs.items():
            if name not in known:
                raise TypeError(
                    f"{qualname}.__init__() got an unexpected keyword argument {name!r}"
                )
            if name in values:
                raise TypeError(f"{qualname}.__init__() got multiple values for argument {name!r}")
            values[name] = value
        missing = []
        for name, default, factory in defaults:
            if name in values:
                assign(self, name, values[name])
            elif default is not _MISSING:
                assign(self, name, default)
            elif factory is not _MISSING:
                assign(self, name, factory())
            else:
                missing.append(repr_of(name))
        if missing:
            raise TypeError(f"{qualname}.__init__() missing {_listed(missing)}")
        if post_init:
            self.__post_init__()

    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{type(self).__qualname__}({inner})"

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return bool(compared(self) == compared(other))

    def __hash__(self: Any) -> int:
        return hash(hashed(self))

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in known:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in known:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    def __getstate__(self: Any) -> list[Any]:
        return [getattr(self, name) for name in names]

    def __setstate__(self: Any, state: list[Any]) -> None:
        for name, value in zip(names, state, strict=True):
            object.__setattr__(self, name, value)

    methods: dict[str, Any] = {"__init__": __init__, "__eq__": __eq__}
    if repr:
        methods["__repr__"] = __repr__
    # Hashing as a dataclass's: a frozen record hashes its compared fields, a mutable one is
    # unhashable, and a __hash__ the class writes itself is kept.
    explicit_hash = own.get("__hash__") is not None
    if not explicit_hash:
        methods["__hash__"] = __hash__ if frozen else None
    if frozen:
        methods.update(__setattr__=__setattr__, __delattr__=__delattr__)
        if slots:  # what a frozen dataclass with slots has, so that pickle and copy work
            methods.update(__getstate__=__getstate__, __setstate__=__setstate__)
    for name, method in methods.items():
        if name in own and name != "__hash__":
            continue  # the class's own method wins, as with a dataclass
        if method is not None:
            method.__qualname__ = f"{qualname}.{name}"
        setattr(cls, name, method)
    params = cls.__dataclass_params__
    params.init = params.eq = True
    params.repr = repr
    params.frozen = frozen
    return cls


if TYPE_CHECKING:
    from dataclasses import dataclass as record
else:

    def record(
        cls: type[Any] | None = None,
        /,
        *,
        frozen: bool = False,
        slots: bool = False,
        repr: bool = True,
    ) -> Any:
        """``@dataclass`` (``frozen``, ``slots``, ``repr``) without compiling code; see above."""

        def wrap(cls: type[Any]) -> type[Any]:
            return _make(cls, frozen, slots, repr)

        return wrap if cls is None else wrap(cls)
