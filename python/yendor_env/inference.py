"""Spec inference: the `ObservationSpec` and `Converter` of a Gymnasium env, from its spaces.

`infer(env)` reads the env's observation and action spaces and returns a `Converter`, which holds the
spec and turns each Gymnasium observation into Yendor's arrays (see `spec`):

- NLE / MiniHack (a Dict with `glyphs` 21×79): glyph ids as they are (`glyph_count` =
  nle.nethack.MAX_GLYPH, 5976, when the space's high says so, else high+1); `blstats` → i32; the caption
  is the `message` bytes up to the first NUL; the crop is cut around blstats x, y (indices 0, 1) with
  off-map cells = stone (2359), as Yendor's native NLE crop, at the size of the env's `glyphs_crop`
  (MiniHack's) unless another is asked for: MiniHack's own crop pads with glyph 0, a monster.
- MiniGrid (a Dict with `image` (W, H, 3) of a MiniGridEnv): glyph id = object·18 + color·3 + state
  (`glyph_count` 198), transposed so that `glyphs[row=y, column=x]` (the agent sits at the bottom
  centre facing up); the crop is the same egocentric view; `blstats` = [direction]; no caption unless
  asked (`caption="mission"` or a function).
- Otherwise: one 2-D integer Box → glyphs; 1-D integer Boxes, Discrete, MultiDiscrete and MultiBinary
  → blstats (concatenated in key order); `message` → caption. Anything else is refused with an error
  naming the key and the space, unless listed in `ignore`.
"""
from __future__ import annotations

import sys
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import numpy as np

from .captions import CaptionFunction
from .converter import Converter
from .spec import MINIGRID_GLYPH_COUNT, NLE_MAX_GLYPH, NLE_STONE, ObservationSpec, SpecError, UnsupportedSpaceError

__all__ = ["infer", "infer_from_spaces"]

NLE_MAP = (21, 79)
DEFAULT_CROP = 9
DEFAULT_CAPTION_BYTES = 256

# NLE observation keys that are other views of what `glyphs`, `blstats` and `message` already carry.
NLE_DERIVED_KEYS = frozenset({
    "chars", "colors", "specials", "chars_crop", "colors_crop", "specials_crop", "glyphs_crop",
    "tty_chars", "tty_colors", "tty_cursor", "tty_chars_crop", "tty_colors_crop", "inv_glyphs",
    "inv_letters", "inv_oclasses", "inv_strs", "screen_descriptions", "screen_descriptions_crop",
    "program_state", "internal", "misc", "pixel", "pixel_crop",
})

# ---------------------------------------------------------------------------------------------- helpers


def _describe(space) -> str:
    return str(space)


def _unsupported(key: Optional[str], space, why: str) -> UnsupportedSpaceError:
    where = f"observation key {key!r}" if key is not None else "observation space"
    hint = (f" Drop it with ignore=({key!r},) (CLI: --ignore-key {key}) or wrap the env so that it yields glyphs."
            if key is not None else " Wrap the env so that it yields an integer glyph map and/or status vector.")
    return UnsupportedSpaceError(f"{where}: {_describe(space)} is not supported: {why}.{hint}")


def _integral(dtype) -> bool:
    """Integers, and booleans as 0 and 1 (a Box of flags)."""
    return np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.bool_)


def _is_int_box(space) -> bool:
    from gymnasium import spaces
    return isinstance(space, spaces.Box) and _integral(space.dtype)


def _glyph_bounds(key, space) -> Tuple[int, int]:
    low, high = np.min(space.low), np.max(space.high)
    if low < 0 or high > 32767:
        raise _unsupported(key, space, f"glyph ids must be in 0...32767 (i16), the space allows {low}...{high}")
    return int(low), int(high)


def _status_width(key, space) -> int:
    """Number of blstats entries a 1-D-like space contributes, or raises."""
    from gymnasium import spaces
    if isinstance(space, spaces.Discrete):
        return 1
    if isinstance(space, (spaces.MultiDiscrete, spaces.MultiBinary)):
        shape = space.shape
        if len(shape) != 1:
            raise _unsupported(key, space, "only 1-D MultiDiscrete/MultiBinary spaces can join the status vector")
        return int(shape[0])
    if isinstance(space, spaces.Box):
        if not _integral(space.dtype):
            raise _unsupported(key, space, "float vectors have no place in Yendor's spec (the status vector is i32)")
        if len(space.shape) == 0:
            return 1
        if len(space.shape) == 1:
            return int(space.shape[0])
    raise _unsupported(key, space, "not a status vector")


def _space_kind(space) -> str:
    """'map' (2-D integer Box), 'status' (1-D integer / discrete), 'text', or 'other'."""
    from gymnasium import spaces
    if isinstance(space, spaces.Box):
        if _integral(space.dtype):
            if len(space.shape) == 2:
                return "map"
            if len(space.shape) <= 1:
                return "status"
        return "other"
    if isinstance(space, (spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary)):
        return "status" if len(space.shape) <= 1 else "other"
    if isinstance(space, spaces.Text) or type(space).__name__ == "MissionSpace":
        return "text"
    return "other"


def _is_minigrid(env) -> bool:
    if env is None or "minigrid" not in sys.modules:
        return False
    try:
        from minigrid.minigrid_env import MiniGridEnv
    except Exception:  # pragma: no cover
        return False
    return isinstance(getattr(env, "unwrapped", env), MiniGridEnv)


def _nle_max_glyph() -> int:
    try:
        from nle import nethack
        return int(nethack.MAX_GLYPH)
    except Exception:
        return NLE_MAX_GLYPH


def environment_name(env) -> str:
    """`gym:<id>` from the env's registration, else `gym:<class name>`; one word."""
    spec = getattr(env, "spec", None)
    name = getattr(spec, "id", None) or type(getattr(env, "unwrapped", env)).__name__
    return "gym:" + "_".join(str(name).split())


# ---------------------------------------------------------------------------------------------- inference

def infer(env, *, crop_size: Optional[int] = None, caption: Union[None, str, CaptionFunction] = None,
          caption_bytes: Optional[int] = None, environment: Optional[str] = None, task: Optional[str] = None,
          ignore: Sequence[str] = ()) -> Converter:
    """The spec and converter of a Gymnasium env, from its observation and action spaces.

    crop_size: odd side of the crop (default: the env's own crop or egocentric view, else 9).
    caption: "auto" / None (NLE `message` if present, else empty), "message", "mission", "none", or a
      function (obs, info) -> str.
    caption_bytes: capacity (default: the `message` length, else 256).
    environment / task: names (default `gym:<env id>` and `<env id>`).
    ignore: observation keys to leave out."""
    env_id = getattr(getattr(env, "spec", None), "id", None)
    return infer_from_spaces(
        env.observation_space, env.action_space, crop_size=crop_size, caption=caption,
        caption_bytes=caption_bytes, environment=environment or environment_name(env),
        task=task or (env_id or type(getattr(env, "unwrapped", env)).__name__), ignore=ignore,
        minigrid=_is_minigrid(env),
        minigrid_view=getattr(env.unwrapped, "agent_view_size", None) if _is_minigrid(env) else None,
        minigrid_grid=(getattr(env.unwrapped, "width", None), getattr(env.unwrapped, "height", None))
        if _is_minigrid(env) else None)


def infer_from_spaces(observation_space, action_space, *, crop_size: Optional[int] = None,
                      caption: Union[None, str, CaptionFunction] = None, caption_bytes: Optional[int] = None,
                      environment: str = "gym:env", task: str = "env", ignore: Sequence[str] = (),
                      minigrid: bool = False, minigrid_view: Optional[int] = None,
                      minigrid_grid: Optional[Tuple[int, int]] = None) -> Converter:
    """`infer` from the spaces alone. `minigrid=True` reads a Dict's `image` as MiniGrid's encoding when
    it is (view, view, 3) (egocentric, `minigrid_view`) or (width, height, 3) (fully observed,
    `minigrid_grid`); other images (RGB renderings) are refused."""
    from gymnasium import spaces

    if crop_size is not None and (crop_size < 1 or crop_size > 41 or crop_size % 2 == 0):
        raise SpecError(f"crop_size must be odd and in 1...41, got {crop_size}")
    if caption_bytes is not None and not 0 <= caption_bytes <= 65536:
        raise SpecError(f"caption_bytes must be in 0...65536, got {caption_bytes}")
    action_count = _action_count(action_space)
    caption_mode = caption if isinstance(caption, str) or caption is None else "function"
    if caption_mode is None:
        caption_mode = "auto"
    if caption_mode not in ("auto", "message", "mission", "none", "function"):
        raise SpecError(f"caption must be auto, message, mission, none or a function, got {caption!r}")
    ignore = set(ignore)

    plan: Dict[str, Any] = {"glyphs": "none", "glyphs_key": None, "crop": "center", "crop_key": None, "fill": 0,
                            "blstats": [], "caption": "none", "caption_key": None}
    rows = cols = 1
    glyph_count = 1
    natural_crop: Optional[int] = None
    description = ""

    if isinstance(observation_space, spaces.Dict):
        items = dict(observation_space.spaces)
        for k in ignore:
            if k not in items:
                raise SpecError(f"ignore: the observation has no key {k!r} (keys: {', '.join(items)})")
        items = {k: s for k, s in items.items() if k not in ignore}
        claimed = set()
        nle_style = "glyphs" in items and _is_int_box(items["glyphs"]) and items["glyphs"].shape == NLE_MAP
        # glyph map
        if minigrid and "image" in items:
            img = items["image"]
            if not (isinstance(img, spaces.Box) and len(img.shape) == 3 and img.shape[2] == 3):
                raise _unsupported("image", img, "a MiniGrid image must be (width, height, 3)")
            cols, rows = int(img.shape[0]), int(img.shape[1])
            shapes = [s for s in ((minigrid_view, minigrid_view), tuple(minigrid_grid or ())) if None not in s and s]
            if shapes and (cols, rows) not in shapes:
                raise _unsupported("image", img, f"a MiniGrid image is its object/color/state encoding, "
                                                 f"{' or '.join(f'({a}, {b}, 3)' for a, b in shapes)}; this one is "
                                                 f"another (an RGB rendering?)")
            plan.update(glyphs="minigrid", glyphs_key="image")
            glyph_count = MINIGRID_GLYPH_COUNT
            claimed.add("image")
            egocentric = minigrid_view is None or (rows == cols == minigrid_view)
            if egocentric:
                natural_crop = rows if rows == cols and rows % 2 == 1 else None
                plan["crop"] = "minigrid_view"
            else:  # fully observed: a crop around the agent, as large as its view
                plan["crop"] = "minigrid_agent"
                natural_crop = minigrid_view if minigrid_view and minigrid_view % 2 == 1 else None
            description = "MiniGrid image: id = object*18 + color*3 + state, glyphs[y, x]"
        elif "glyphs" in items:
            g = items["glyphs"]
            if _space_kind(g) != "map":
                raise _unsupported("glyphs", g, "glyphs must be a 2-D integer Box")
            low, high = _glyph_bounds("glyphs", g)
            rows, cols = int(g.shape[0]), int(g.shape[1])
            max_glyph = _nle_max_glyph()
            glyph_count = max_glyph if nle_style and high == max_glyph else high + 1
            plan.update(glyphs="key", glyphs_key="glyphs")
            claimed.add("glyphs")
            description = "NLE-style glyphs" if nle_style else "glyphs"
        else:
            maps = [k for k, s in items.items() if _space_kind(s) == "map"]
            if len(maps) > 1:
                raise UnsupportedSpaceError(
                    f"observation keys {maps}: several 2-D integer Boxes and none named 'glyphs'; Yendor takes one glyph "
                    f"map: ignore the others (ignore=..., CLI --ignore-key) or rename one to 'glyphs'")
            if maps:
                k = maps[0]
                low, high = _glyph_bounds(k, items[k])
                rows, cols = int(items[k].shape[0]), int(items[k].shape[1])
                glyph_count = high + 1
                plan.update(glyphs="key", glyphs_key=k)
                claimed.add(k)
                description = f"glyphs from {k!r}"
        # status vector
        if "blstats" in items:
            width = _status_width("blstats", items["blstats"])
            plan["blstats"] = [("blstats", width)]
            claimed.add("blstats")
        else:
            # NLE's `message` (1-D uint8) is text: the caption's, or left out, never status.
            message_bytes = "message" in items and isinstance(items["message"], spaces.Box) \
                and items["message"].dtype == np.uint8 and len(items["message"].shape) == 1
            parts = []
            for k, s in items.items():  # gymnasium's Dict keeps its keys sorted
                if k in claimed or (k == "message" and message_bytes) or (nle_style and k in NLE_DERIVED_KEYS):
                    continue
                if _space_kind(s) == "status":
                    parts.append((k, _status_width(k, s)))
                    claimed.add(k)
            plan["blstats"] = parts
        # crop
        if plan["glyphs"] == "key":
            if nle_style:
                plan["fill"] = NLE_STONE if glyph_count == _nle_max_glyph() else 0
            gc = items.get("glyphs_crop") if plan["glyphs_key"] == "glyphs" else None
            gc_size = int(gc.shape[0]) if gc is not None and _is_int_box(gc) and len(gc.shape) == 2 \
                and gc.shape[0] == gc.shape[1] and gc.shape[0] % 2 == 1 else None
            if gc is not None:
                claimed.add("glyphs_crop")
            nle_position = bool(plan["blstats"]) and plan["blstats"][0][0] == "blstats" and plan["blstats"][0][1] >= 2
            if nle_style and nle_position:
                # Cut around blstats x, y (NLE's blstats: x, y first) with stone off the map, as
                # Yendor's native NLE crop does, rather than take MiniHack's `glyphs_crop`, which
                # pads with 0: glyph 0 is a monster (giant ant). Same size as the env's own crop.
                plan.update(crop="blstats", x_index=0, y_index=1)
                natural_crop = gc_size
            elif gc_size is not None and (crop_size is None or crop_size == gc_size):
                plan.update(crop="key", crop_key="glyphs_crop")
                natural_crop = gc_size
            elif nle_position:
                plan.update(crop="blstats", x_index=0, y_index=1)
            elif rows == cols and rows % 2 == 1 and rows <= 41:
                natural_crop = rows
        # caption
        has_message = "message" in items and isinstance(items["message"], spaces.Box) \
            and items["message"].dtype == np.uint8 and len(items["message"].shape) == 1
        if caption_mode in ("auto", "message"):
            if has_message:
                plan.update(caption="message", caption_key="message")
                if caption_bytes is None:
                    caption_bytes = int(items["message"].shape[0])
            elif "message" in items and _space_kind(items["message"]) == "text":
                # A custom env's message as text (spaces.Text): its string is the caption, as
                # MiniGrid's mission can be (it was left out without a word: trial G).
                plan.update(caption="text", caption_key="message")
            elif caption_mode == "message":
                if "message" in items:
                    raise SpecError(f"caption 'message' needs 'message' as uint8 bytes (a 1-D uint8 Box, as NLE's) or "
                                    f"text (gymnasium.spaces.Text); it is {items['message']}")
                raise SpecError("caption 'message' needs an observation key 'message' (uint8 bytes, as NLE's, or "
                                f"text); the observation has {', '.join(items) or 'no keys'}")
        elif caption_mode == "mission":
            if "mission" not in items:
                raise SpecError("caption 'mission' needs an observation key 'mission' (MiniGrid's Dict observation); "
                                f"the observation has {', '.join(items) or 'no keys'}")
            plan.update(caption="mission", caption_key="mission")
        elif caption_mode == "function":
            plan["caption"] = "function"
        if "message" in items:
            claimed.add("message")
        if "mission" in items and _space_kind(items["mission"]) == "text":
            claimed.add("mission")  # MiniGrid's mission: the caption when asked, else left out
        # anything left is refused, naming it
        for k, s in items.items():
            if k in claimed or (nle_style and k in NLE_DERIVED_KEYS):
                continue
            kind = _space_kind(s)
            if kind == "map":
                raise _unsupported(k, s, "Yendor takes one glyph map and it is already "
                                         f"{plan['glyphs_key']!r}")
            if kind == "text":
                raise _unsupported(k, s, "text is only the caption (caption='mission' reads 'mission'; "
                                         "a caption function can read any key)")
            if isinstance(s, spaces.Box) and not _integral(s.dtype):
                raise _unsupported(k, s, "float arrays have no place in Yendor's spec (an integer glyph map, an "
                                         "i32 status vector and a text caption)")
            if isinstance(s, spaces.Box) and len(s.shape) >= 3:
                raise _unsupported(k, s, "images and arrays of 3 or more dimensions have no place in Yendor's spec "
                                         "(an integer glyph map, an i32 status vector and a text caption)")
            raise _unsupported(k, s, "Yendor's spec holds an integer glyph map, an i32 status vector and a text caption")
        if plan["glyphs"] == "none" and not plan["blstats"]:
            raise UnsupportedSpaceError(
                f"observation space {observation_space}: no glyph map (a 2-D integer Box, 'glyphs', or MiniGrid's "
                f"'image') and no status vector (1-D integer Box or Discrete); nothing for Yendor to observe")
        if caption_mode == "auto" and plan["caption"] == "none" and plan["glyphs"] == "minigrid":
            description += "; no caption (MiniGrid has no event messages: caption='mission' or a function)"
    else:
        kind = _space_kind(observation_space)
        if kind == "map":
            low, high = _glyph_bounds(None, observation_space)
            rows, cols = int(observation_space.shape[0]), int(observation_space.shape[1])
            glyph_count = high + 1
            plan.update(glyphs="key", glyphs_key=None)
            if rows == cols and rows % 2 == 1 and rows <= 41:
                natural_crop = rows
            description = "the observation is the glyph map"
        elif kind == "status":
            plan["blstats"] = [(None, _status_width(None, observation_space))]
            description = "the observation is the status vector"
        else:
            why = "float arrays have no place in Yendor's spec" if isinstance(observation_space, spaces.Box) \
                and not _integral(observation_space.dtype) else \
                "Yendor observes a 2-D integer glyph map, a 1-D integer status vector, or a Dict of them"
            raise _unsupported(None, observation_space, why)
        if caption_mode in ("message", "mission"):
            raise SpecError(f"caption {caption_mode!r} needs a Dict observation with a {caption_mode!r} key")
        if caption_mode == "function":
            plan["caption"] = "function"

    blstats_count = sum(w for _, w in plan["blstats"])
    if plan["glyphs"] == "none":
        size = 1
    else:
        size = crop_size or natural_crop or DEFAULT_CROP
    if natural_crop is not None and size == natural_crop and plan["crop"] in ("center", "minigrid_view") \
            and (rows, cols) == (size, size):
        plan["crop"] = "same"
    spec = ObservationSpec(environment, rows, cols, size, glyph_count, blstats_count,
                           DEFAULT_CAPTION_BYTES if caption_bytes is None else caption_bytes, action_count)
    spec.validate()
    fn = caption if callable(caption) else None
    converter = Converter(spec, task=task, plan=plan, caption=fn,
                          description=description + f"; crop: {plan['crop']}; caption: {plan['caption']}")
    converter.action_offset = int(getattr(action_space, "start", 0))
    return converter


def _action_count(action_space) -> int:
    from gymnasium import spaces
    if not isinstance(action_space, spaces.Discrete):
        raise UnsupportedSpaceError(f"action space {action_space} is not supported: Yendor's policies choose one of "
                                    f"n discrete actions (gymnasium.spaces.Discrete)")
    n = int(action_space.n)
    if not 2 <= n <= 4096:
        raise UnsupportedSpaceError(f"action space {action_space} is not supported: Yendor needs 2...4096 actions, "
                                    f"the env has {n}")
    return n
