#!/usr/bin/env python3
"""Regenerates the golden files of package streamdiffusion from ai-runner.

Usage: python3 gen_golden.py <ai-runner git dir> [commit]   (run from this directory)

It loads live/streamdiffusion/pipeline/params.py at the commit (default
50a742c) from the git directory, with BaseParams stood in for by a class with
the same three fields as runner/src/runner/live/pipelines/interface.py at that
commit (width, height, show_reloading_frame), and with pydantic 2 writes:

  golden/<name>.json      StreamDiffusionParams(**example).model_dump_json(exclude_unset=True)
                          for each of our parameter sets examples/<name>.json:
                          what ai-runner holds, with exactly the fields set
  golden/<name>.full.json StreamDiffusionParams(**example).model_dump_json():
                          every field, defaults filled in
  cases.json              ai-runner's verdict (valid, or the error's location and
                          message) on each parameter set of CASES below
  format.json             how pydantic writes floats and strings

Only params.py is taken from ai-runner, and only to run it; the inputs
(examples/*.json, CASES) are ours. Nothing from ai-runner is written out but
its model's output.
"""
import json
import os
import subprocess
import sys
import types

from pydantic import BaseModel, Field, ValidationError

git_dir = sys.argv[1]
commit = sys.argv[2] if len(sys.argv) > 2 else "50a742c"


def show(path):
    return subprocess.run(["git", "-C", git_dir, "show", f"{commit}:{path}"], check=True, capture_output=True, text=True).stdout


class BaseParams(BaseModel):
    # runner/src/runner/live/pipelines/interface.py (DEFAULT_WIDTH/HEIGHT = 512 in trickle/frame.py)
    width: int = Field(default=512, ge=384, le=1024, multiple_of=64)
    height: int = Field(default=512, ge=384, le=1024, multiple_of=64)
    show_reloading_frame: bool = Field(default=True)


src = show("live/streamdiffusion/pipeline/params.py")
src = src.replace("from runner.live.pipelines import BaseParams\n", "")
mod = types.ModuleType("params")
mod.BaseParams = BaseParams
exec(compile(src, "params.py", "exec"), mod.__dict__)
Params = mod.StreamDiffusionParams

examples = {}
for name in sorted(os.listdir("examples")):
    if name.endswith(".json"):
        with open(os.path.join("examples", name)) as f:
            examples[name[:-5]] = f.read()

os.makedirs("golden", exist_ok=True)
for old in os.listdir("golden"):
    os.remove(os.path.join("golden", old))
for name, text in sorted(examples.items()):
    p = Params(**json.loads(text))
    with open(f"golden/{name}.json", "w") as f:
        f.write(p.model_dump_json(exclude_unset=True))
    with open(f"golden/{name}.full.json", "w") as f:
        f.write(p.model_dump_json())

CN21 = "thibaud/controlnet-sd21-canny-diffusers"
SDXL = "stabilityai/sdxl-turbo"
DS8 = "Lykon/dreamshaper-8"
CASES = [
    {},
    {"prompt": [["a cat", 0.7], ["a dog", 0.3]], "seed": [[1, 0.5], [2, 0.5]]},
    {"width": 1024, "height": 384},
    {"t_index_list": [0, 50], "num_inference_steps": 50},
    {"num_inference_steps": 1, "t_index_list": [0, 1]},
    {"controlnets": [{"model_id": CN21, "conditioning_channels": None}]},
    {"model_id": SDXL, "controlnets": [{"model_id": "xinsir/controlnet-depth-sdxl-1.0"}, {"model_id": "xinsir/controlnet-canny-sdxl-1.0"},
                                      {"model_id": "xinsir/controlnet-tile-sdxl-1.0"},
                                      {"model_id": "daydreamlive/TemporalNet2-stable-diffusion-xl-base-1.0", "enabled": False}]},
    {"model_id": DS8, "ip_adapter": {"type": "faceid", "weight_type": None, "insightface_model_name": None,
                                     "ipadapter_model_path": "h94/IP-Adapter/models/ip-adapter_sd15.bin"}},
    {"cached_attention": {"enabled": True, "max_frames": 4, "interval": 1440}},
    {"model_id": SDXL, "t_index_list": [10, 20], "cached_attention": {"enabled": True, "max_frames": 2}},
    {"acceleration": "none", "cached_attention": {"enabled": False, "max_frames": 1}},
    {"image_postprocessing": {"processors": [{"type": "upscale", "params": {"scale_factor": 2.0}}]},
     "latent_preprocessing": {"enabled": False, "processors": [{"type": "latent_feedback"}]}},
    {"lora_dict": {"a/b": 0.5, "c": 1}, "use_lcm_lora": False},
    {"num_inference_steps": 50.0},
    {"guidance_scale": 2},
    {"seed": 42.0},
    {"ip_adapter": {"enabled": False}},
    {"negative_prompt": ""},
    {"controlnets": []},
    {"image_preprocessing": None},
    {"show_reloading_frame": False},
    {"prompt": ""},
    {"prompt": []},
    {"model_id": "runwayml/stable-diffusion-v1-5"},
    {"width": 500},
    {"width": 320},
    {"height": 1088},
    {"num_inference_steps": 0},
    {"num_inference_steps": 101},
    {"num_inference_steps": 10},
    {"num_inference_steps": 2.5},
    {"t_index_list": []},
    {"t_index_list": [1, 2, 3, 4, 5]},
    {"t_index_list": [10, 5]},
    {"t_index_list": [51]},
    {"t_index_list": [-1]},
    {"prompt_interpolation_method": "cubic"},
    {"seed_interpolation_method": "cubic"},
    {"acceleration": "cuda"},
    {"controlnets": [{"model_id": "xinsir/controlnet-depth-sdxl-1.0"}]},
    {"controlnets": [{"model_id": CN21}, {"model_id": CN21}]},
    {"controlnets": [{}]},
    {"controlnets": [{"model_id": CN21, "conditioning_channels": 7}]},
    {"controlnets": [{"model_id": CN21, "conditioning_channels": 0}]},
    {"controlnets": [{"model_id": CN21, "preprocessor": "sobel"}]},
    {"controlnets": [{"model_id": CN21, "extra": 1}]},
    {"controlnets": [{"model_id": CN21, "preprocessor_params": None}]},
    {"model_id": SDXL, "controlnets": [{"model_id": "xinsir/controlnet-depth-sdxl-1.0"}, {"model_id": "xinsir/controlnet-canny-sdxl-1.0"},
                                      {"model_id": "xinsir/controlnet-tile-sdxl-1.0"},
                                      {"model_id": "daydreamlive/TemporalNet2-stable-diffusion-xl-base-1.0"}]},
    {"ip_adapter": {"enabled": True}},
    {"ip_adapter": {}},
    {"ip_adapter": None},
    {"model_id": DS8, "ip_adapter": {"type": "style"}},
    {"model_id": DS8, "ip_adapter": {"weight_type": "heavy"}},
    {"model_id": DS8, "ip_adapter": {"image_encoder_path": "h94/other"}},
    {"acceleration": "xformers", "cached_attention": {"enabled": True}},
    {"width": 576, "cached_attention": {"enabled": True}},
    {"cached_attention": {"max_frames": 5}},
    {"cached_attention": {"interval": 0}},
    {"cached_attention": {"interval": 1441}},
    {"model_id": SDXL, "t_index_list": [1, 2, 3, 4], "cached_attention": {"enabled": True}},
    {"model_id": SDXL, "t_index_list": [1, 2], "cached_attention": {"enabled": True, "max_frames": 3}},
    {"image_preprocessing": {"processors": [{"type": "latent_feedback"}]}},
    {"latent_postprocessing": {"processors": [{"type": "blur"}]}},
    {"image_preprocessing": {"processors": [{"type": "blur", "params": []}]}},
    {"image_preprocessing": {"processors": [{"enabled": True}]}},
    {"foo": 1},
    {"seed": 1.5},
    {"seed": [[1]]},
    {"prompt": 5},
    {"prompt": [["a", "b"]]},
    {"prompt": [["a", 1.0, 2.0]]},
    {"guidance_scale": None},
    {"model_id": None},
    {"t_index_list": None},
    {"lora_dict": {"a": "x"}},
    {"width": None},
]
cases = []
for c in CASES:
    try:
        Params(**c)
        cases.append({"params": c, "valid": True})
    except ValidationError as e:
        err = e.errors()[0]
        cases.append({"params": c, "valid": False, "loc": [str(x) for x in err["loc"]], "msg": err["msg"]})
with open("cases.json", "w") as f:
    json.dump(cases, f, indent=1)
    f.write("\n")

# How pydantic writes floats and strings (testdata/format.json): the exact
# text of float fields and of string fields.
class _F(BaseModel):
    f: float
    s: str = ""


floats = [1.0, 0.0, -0.0, 0.711, 1e-5, 1.5e-5, 9.99e-6, 1.5e-7, 1e16, 1e15, 9999999999999998.0, 1.2345678901234568e17,
          0.1 + 0.2, 1e-4, 5e-324, 1.7976931348623157e308, 100.0, 1e21, 1e22, -2.5e-6, 123456.789, 0.98, 0.7, 3.0e-5, -1e100]
strings = ["plain", 'q"uote', "back\\slash", "nl\ncr\rtab\tbs\bff\f", "\x01\x1f\x7f", "é ü 日本", "\u2028\u2029", "😀",
           "</script>&<>", ""]
fmt = {"floats": [[repr(f), _F(f=f).model_dump_json()[5:-8]] for f in floats],
       "strings": [[s, _F(f=0, s=s).model_dump_json()[13:-1]] for s in strings]}
with open("format.json", "w") as f:
    json.dump(fmt, f, indent=1)
    f.write("\n")
