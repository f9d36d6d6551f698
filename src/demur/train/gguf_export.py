"""Export a trained Llama-architecture model directory to GGUF for the llamacpp backend.

llama.cpp's own converter (convert_hf_to_gguf.py) is not shipped in any pip package, so this
writes the file with the `gguf` package directly: F16 matrices, F32 norms, the BPE tokenizer
from tokenizer.json (added special tokens, refusal tokens included, marked as control tokens)
and the chat template. It covers the Llama family with a GPT-2 style BPE tokenizer (SmolLM2,
Llama 3 and their fine-tunes); other architectures raise NotImplementedError.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TOKEN_NORMAL, TOKEN_CONTROL, TOKEN_USER_DEFINED = 1, 3, 4
_LAYER_NAMES = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}


def _permute(weights: Any, heads: int) -> Any:
    """Reorder Q/K rows from the Hugging Face rotary layout to llama.cpp's interleaved one."""
    shape = weights.shape
    return (
        weights.reshape(heads, 2, shape[0] // heads // 2, *shape[1:]).swapaxes(1, 2).reshape(shape)
    )


def _pre_tokenizer(model_dir: Path) -> str:
    """llama.cpp's pre-tokenizer name: taken from the GGUF the model was trained from, if any."""
    record = model_dir / "demur-train.json"
    if record.is_file():
        base = json.loads(record.read_text("utf-8"))["config"]["model"]
        try:
            from demur.backends.hf import resolve_source

            source = resolve_source(base)
        except FileNotFoundError:
            return "default"
        if source.gguf_file:
            from gguf import GGUFReader

            field = GGUFReader(source.directory / source.gguf_file).fields.get("tokenizer.ggml.pre")
            if field is not None:
                return bytes(field.parts[field.data[0]]).decode("utf-8")
    return "default"


def export_gguf(model_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write MODEL_DIR/model.gguf (or `out`) from a transformers Llama model directory."""
    import gguf
    import numpy as np
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    model_dir = Path(model_dir)
    path = Path(out) if out else model_dir / "model.gguf"
    config = AutoConfig.from_pretrained(model_dir)
    if config.model_type != "llama":
        raise NotImplementedError(
            f"GGUF export supports Llama-architecture models only, not {config.model_type!r}; "
            "use llama.cpp's convert_hf_to_gguf.py from its source tree for this model"
        )
    tokenizer_file = model_dir / "tokenizer.json"
    if not tokenizer_file.is_file():
        raise ValueError(f"{model_dir}: no tokenizer.json; save the tokenizer with the model")
    spec = json.loads(tokenizer_file.read_text("utf-8"))
    if spec["model"]["type"] != "BPE":
        raise NotImplementedError(f"{tokenizer_file}: only BPE tokenizers can be exported")
    tokenizer: Any = AutoTokenizer.from_pretrained(model_dir)
    model: Any = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    state = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    vocab_size = state["model.embed_tokens.weight"].shape[0]

    # Tokens by id: the BPE vocabulary, then added tokens; gaps (if any) padded as unused.
    tokens = [f"[PAD{i}]" for i in range(vocab_size)]
    types = [TOKEN_USER_DEFINED] * vocab_size
    for token, token_id in spec["model"]["vocab"].items():
        if token_id < vocab_size:
            tokens[token_id], types[token_id] = token, TOKEN_NORMAL
    for added in spec.get("added_tokens", []):
        if added["id"] < vocab_size:
            tokens[added["id"]] = added["content"]
            types[added["id"]] = TOKEN_CONTROL if added.get("special") else TOKEN_USER_DEFINED
    merges = [m if isinstance(m, str) else " ".join(m) for m in spec["model"].get("merges", [])]

    rope = getattr(config, "rope_theta", None)
    if rope is None:
        rope = (getattr(config, "rope_parameters", None) or {}).get("rope_theta", 10000.0)
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads

    writer = gguf.GGUFWriter(str(path), arch="llama")
    writer.add_name(model_dir.name)
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_rope_freq_base(float(rope))
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_rope_dimension_count(head_dim)
    writer.add_vocab_size(vocab_size)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(_pre_tokenizer(model_dir))
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    for name, token in (("bos", tokenizer.bos_token), ("eos", tokenizer.eos_token)):
        if token is not None:
            getattr(writer, f"add_{name}_token_id")(tokenizer.convert_tokens_to_ids(token))
    if tokenizer.pad_token is not None:
        writer.add_pad_token_id(tokenizer.convert_tokens_to_ids(tokenizer.pad_token))
    writer.add_add_bos_token(False)
    if tokenizer.chat_template:
        writer.add_chat_template(str(tokenizer.chat_template))

    def put(name: str, array: Any) -> None:
        dtype = np.float32 if array.ndim == 1 else np.float16
        writer.add_tensor(name, np.ascontiguousarray(array.astype(dtype)))

    put("token_embd.weight", state["model.embed_tokens.weight"])
    put("output_norm.weight", state["model.norm.weight"])
    if not config.tie_word_embeddings and "lm_head.weight" in state:
        put("output.weight", state["lm_head.weight"])
    for layer in range(config.num_hidden_layers):
        for hf_name, gguf_name in _LAYER_NAMES.items():
            array = state[f"model.layers.{layer}.{hf_name}"]
            if hf_name == "self_attn.q_proj.weight":
                array = _permute(array, config.num_attention_heads)
            elif hf_name == "self_attn.k_proj.weight":
                array = _permute(array, config.num_key_value_heads)
            put(f"blk.{layer}.{gguf_name}", array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
