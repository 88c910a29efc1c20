#!/usr/bin/env python3
"""Sample Factory 2.1.1 on NLE's NetHackScore, with a network that mirrors Yendor's policy.

Used by scripts/bench-vs-sample-factory.sh (run it with .venv-sf/bin/python). The sample_factory
wheel (2.1.1) does not ship the sf_examples.nethack package, so the env and the encoder are
registered here.

Env `nethack_score`: nle 1.0.0's NetHackScore-v0 (the newest nle that runs with SF 2.1.1's
gymnasium<1 / numpy<2) with NLE's defaults (23 task actions, 5,000-step limit, -0.01 penalty),
observation keys glyphs+blstats+message, turned into what Yendor's policy reads: a 9x9 glyph crop
around the player (off-map cells read as stone, glyph 2359, as in Yendor), the 27 blstats, and the
message as a hashed bag of words (Yendor's CaptionHasher: alphanumeric runs, lower-cased, 32-bit
FNV-1a into buckets 1..<B, bucket 0 for an empty message).

Encoder: Yendor's PolicyNetwork without its heads (Sources/YendorLearner/PolicyNetwork.swift):
  crop -> embedding(5976, E) -> conv3x3 (pad 1) + ELU per --yc_conv_channels -> linear + ELU (G)
  blstats -> sign*log1p -> linear + ELU (S)
  caption -> embedding(B, C), mean over the message's words
  concat(G+S+C) -> linear + ELU (W) -> layer norm -> (linear + ELU (W)) x (L-1)
SF then adds an identity core (--use_rnn False), an empty decoder (--decoder_mlp_layers) and its
two heads, linear W->23 (policy) and W->1 (value): the same heads as Yendor's.

`--describe` prints the SF actor-critic's parameter count and FLOPs per sample (forward), counted
with forward hooks the way Yendor counts (2 x the multiply-adds of the conv and linear layers), as
one line of JSON, and exits.
"""
from __future__ import annotations

import json
import re
import sys

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from sample_factory.algo.utils.context import global_model_factory
from sample_factory.cfg.arguments import parse_full_cfg, parse_sf_args
from sample_factory.envs.env_utils import register_env
from sample_factory.model.encoder import Encoder
from sample_factory.train import run_rl

MAP_ROWS, MAP_COLUMNS = 21, 79
STONE = 2359  # NetHack 3.6.6's S_stone glyph as NLE numbers it (Yendor's NetHackGlyph.stone)
GLYPHS = 5976  # nle.nethack.MAX_GLYPH (Yendor's NetHackGlyph.count)
MAX_WORDS = 32  # words kept per message (NetHack's top line rarely has more)
_WORD = re.compile(rb"[A-Za-z0-9]+")


def caption_buckets(message: np.ndarray, buckets: int) -> list[int]:
    """Yendor's CaptionHasher for one message (bytes up to the first NUL)."""
    raw = message.tobytes()
    end = raw.find(b"\0")
    if end >= 0:
        raw = raw[:end]
    out = []
    for word in _WORD.findall(raw):
        h = 2166136261
        for b in word.lower():
            h = ((h ^ b) * 16777619) & 0xFFFFFFFF
        out.append(1 + h % (buckets - 1))
    return out or [0]


class YendorObservation(gym.Wrapper):
    """NLE's observation -> crop, blstats, hashed caption (fixed-size, with a word mask)."""

    def __init__(self, env: gym.Env, crop: int, buckets: int):
        super().__init__(env)
        self.crop, self.buckets, self.half = crop, buckets, crop // 2
        self.padded = np.full((MAP_ROWS + 2 * self.half, MAP_COLUMNS + 2 * self.half), STONE, dtype=np.int16)
        self.observation_space = gym.spaces.Dict(
            crop=gym.spaces.Box(0, GLYPHS - 1, (crop, crop), dtype=np.int16),
            blstats=gym.spaces.Box(-np.inf, np.inf, (27,), dtype=np.float32),
            words=gym.spaces.Box(0, buckets - 1, (MAX_WORDS,), dtype=np.int16),
            word_mask=gym.spaces.Box(0, 1, (MAX_WORDS,), dtype=np.float32),
        )

    def _convert(self, obs):
        h = self.half
        self.padded[h:h + MAP_ROWS, h:h + MAP_COLUMNS] = obs["glyphs"]
        x, y = int(obs["blstats"][0]), int(obs["blstats"][1])
        words = caption_buckets(obs["message"], self.buckets)[:MAX_WORDS]
        ids = np.zeros(MAX_WORDS, dtype=np.int16)
        mask = np.zeros(MAX_WORDS, dtype=np.float32)
        ids[:len(words)] = words
        mask[:len(words)] = 1
        return dict(
            crop=self.padded[y:y + self.crop, x:x + self.crop].copy(),
            blstats=np.clip(obs["blstats"], -2**31, 2**31 - 1).astype(np.float32),
            words=ids,
            word_mask=mask,
        )

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        return self._convert(obs), info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        return self._convert(obs), reward, terminated, truncated, info


def make_nethack_env(full_env_name, cfg=None, env_config=None, render_mode=None):
    from nle.env.tasks import NetHackScore

    env = NetHackScore(observation_keys=("glyphs", "blstats", "message"))
    return YendorObservation(env, crop=cfg.yc_crop, buckets=cfg.yc_caption_buckets)


class YendorEncoder(Encoder):
    """Yendor's PolicyNetwork trunk (encoders + core layers); SF adds the heads."""

    def __init__(self, cfg, obs_space):
        super().__init__(cfg)
        crop, emb = cfg.yc_crop, cfg.yc_glyph_embedding
        channels = [int(c) for c in str(cfg.yc_conv_channels).split(",") if c]
        self.glyph_embedding = nn.Embedding(GLYPHS, emb)
        convs, c_in = [], emb
        for c_out in channels:
            convs += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ELU()]
            c_in = c_out
        self.convs = nn.Sequential(*convs)
        self.glyph_linear = nn.Sequential(nn.Linear(crop * crop * c_in, cfg.yc_glyph_features), nn.ELU())
        self.blstats_linear = nn.Sequential(nn.Linear(27, cfg.yc_blstats_features), nn.ELU())
        self.caption_embedding = nn.Embedding(cfg.yc_caption_buckets, cfg.yc_caption_features)
        width = cfg.yc_glyph_features + cfg.yc_blstats_features + cfg.yc_caption_features
        core = []
        for i in range(cfg.yc_core_layers):
            core += [nn.Linear(width, cfg.yc_core_width), nn.ELU()]
            if i == 0:
                core.append(nn.LayerNorm(cfg.yc_core_width))
            width = cfg.yc_core_width
        self.core = nn.Sequential(*core)
        self.out_size = width

    def type_for_input_tensor(self, input_tensor_name):
        return torch.long if input_tensor_name in ("crop", "words") else torch.float32

    def forward(self, obs):
        g = self.glyph_embedding(obs["crop"]).permute(0, 3, 1, 2)  # [B, E, crop, crop]
        g = self.glyph_linear(self.convs(g).flatten(1))
        s = obs["blstats"]
        s = self.blstats_linear(torch.sign(s) * torch.log1p(s.abs()))
        mask = obs["word_mask"]
        c = (self.caption_embedding(obs["words"]) * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
        return self.core(torch.cat([g, s, c], dim=1))

    def get_out_size(self):
        return self.out_size


def add_args(parser):
    p = parser
    p.add_argument("--yc_crop", default=9, type=int, help="glyph crop side (Yendor env.crop_size)")
    p.add_argument("--yc_glyph_embedding", default=16, type=int, help="model.glyph_embedding")
    p.add_argument("--yc_conv_channels", default="16,16", type=str, help="model.conv_channels")
    p.add_argument("--yc_glyph_features", default=128, type=int, help="model.glyph_features")
    p.add_argument("--yc_blstats_features", default=32, type=int, help="model.blstats_features")
    p.add_argument("--yc_caption_buckets", default=4096, type=int, help="model.caption_buckets")
    p.add_argument("--yc_caption_features", default=32, type=int, help="model.caption_features")
    p.add_argument("--yc_core_width", default=128, type=int, help="model.core_width")
    p.add_argument("--yc_core_layers", default=2, type=int, help="model.core_layers")
    p.add_argument("--describe", default=False, type=lambda s: s.lower() in ("1", "true", "yes"),
                   help="print parameters and FLOPs per sample of the actor-critic, then exit")


def parse_args(argv=None):
    parser, _ = parse_sf_args(argv)
    add_args(parser)
    # Yendor normalises no inputs (glyph ids and word ids must stay ids; blstats go through sign*log1p).
    parser.set_defaults(use_rnn=False, decoder_mlp_layers=[], nonlinearity="elu", env_frameskip=1, normalize_input=False)
    return parse_full_cfg(parser, argv)


def describe(cfg) -> dict:
    """Parameters and forward FLOPs per sample of the SF actor-critic built from cfg."""
    from sample_factory.algo.utils.rl_utils import prepare_and_normalize_obs
    from sample_factory.model.actor_critic import create_actor_critic
    from sample_factory.model.model_utils import get_rnn_size

    env = make_nethack_env(cfg.env, cfg)
    model = create_actor_critic(cfg, env.observation_space, env.action_space)
    macs = 0

    def hook(module, inputs, output):
        nonlocal macs
        if isinstance(module, nn.Linear):
            macs += module.in_features * module.out_features * (output.numel() // module.out_features)
        elif isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1] * module.in_channels // module.groups
            macs += output.numel() * k

    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            m.register_forward_hook(hook)
    obs, _ = env.reset(seed=1)
    batch = prepare_and_normalize_obs(model, {k: torch.as_tensor(np.asarray(v))[None] for k, v in obs.items()})
    with torch.no_grad():
        model.eval()
        model(batch, torch.zeros(1, get_rnn_size(cfg)))
    env.close()
    return dict(parameters=int(sum(p.numel() for p in model.parameters())), flops_forward=int(2 * macs),
                actions=int(env.action_space.n))


def main():
    import nle

    register_env("nethack_score", make_nethack_env)
    global_model_factory().register_encoder_factory(YendorEncoder)
    cfg = parse_args()
    if cfg.describe:
        print(json.dumps(dict(describe(cfg), nle=nle.__version__)))
        return 0
    return run_rl(cfg)


if __name__ == "__main__":
    sys.exit(main())
