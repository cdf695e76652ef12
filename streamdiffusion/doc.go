// Package streamdiffusion is a typed form of ai-runner's StreamDiffusion
// parameters, the JSON a live-video-to-video StreamDiffusion session takes
// at start and in every update.
//
// Source: ai-runner at commit 50a742c (v0.14.1),
// live/streamdiffusion/pipeline/params.py (fields, choices, defaults,
// validators), live/streamdiffusion/pipeline/pipeline.py (what updates live),
// runner/src/runner/live/pipelines/interface.py (width, height,
// show_reloading_frame) and runner/src/runner/live/process/process.py
// (mid-stream resolution changes). Where a document disagrees with the code
// at that commit, the code wins.
//
// [Params] marshals to exactly the JSON ai-runner's pydantic model dumps
// for the same fields (model_dump_json(exclude_unset=True)): unset fields
// are left out, fields in ai-runner's order, floats as 1.0. Unmarshalling is
// as strict as ai-runner (unknown fields and misplaced nulls are errors) and
// [Params.Validate] applies its rules; both report a *[FieldError] naming
// the field, the value and what is allowed.
//
// ai-runner takes each message as a whole new parameter set: a field left
// out goes back to its default, not to its previous value. Send the full set
// every time, model_id included.
//
// # Live updates and reloads
//
// When a session's parameters change, ai-runner (pipeline.py
// _update_params_dynamic) applies these fields to the running pipeline:
//
//	prompt, prompt_interpolation_method, normalize_prompt_weights,
//	negative_prompt, guidance_scale, delta, num_inference_steps,
//	t_index_list, seed, seed_interpolation_method, normalize_seed_weights,
//	use_safety_checker, safety_checker_threshold, ip_adapter_style_image_url,
//	image_preprocessing, image_postprocessing, latent_preprocessing,
//	latent_postprocessing,
//	controlnets[].conditioning_scale,
//	ip_adapter.enabled, ip_adapter.scale, ip_adapter.weight_type,
//	cached_attention.max_frames, cached_attention.interval
//
// A change to any other field reloads the pipeline (the output pauses, and
// shows a loading frame when show_reloading_frame is set): model_id,
// lora_dict, use_lcm_lora, lcm_lora_id, acceleration, use_denoising_batch,
// do_add_noise, skip_diffusion, the similar-image filter fields,
// show_reloading_frame, the other ip_adapter fields and
// cached_attention.enabled. ai-runner also reloads when a runtime update
// fails inside StreamDiffusion.
//
// ControlNet changes other than conditioning_scale (adding, removing,
// reordering, model_id, preprocessor, its params, enabled, guidance range)
// need a reload as well: pipeline.py passes them to StreamDiffusion's
// runtime update, which params.py's ControlNetConfig documents as unable to
// apply them without one. Diff counts them as reloads, so that a caller is
// warned either way.
//
// A change of the output size is refused mid-stream (process.py): width,
// height, or enabling, disabling or rescaling an upscale / realesrgan_trt
// image post-processor.
//
// [Diff] reports each changed field with its effect; [Reloads] says
// whether an update reloads the pipeline.
package streamdiffusion
