namespace GptOss.Engine.Checkpoints;

/// <summary>The two published tensor naming schemes.</summary>
public enum CheckpointLayout
{
    /// <summary>Hugging Face <c>transformers</c> names (<c>model.layers.N.self_attn.q_proj.weight</c>, …).</summary>
    HuggingFace,
    /// <summary>OpenAI <c>original/</c> names (<c>block.N.attn.qkv.weight</c>, fused q/k/v, …).</summary>
    Original,
}

/// <summary>The checkpoint name of every tensor the model reads, for one layout.</summary>
internal sealed class TensorNames(CheckpointLayout layout)
{
    private readonly bool _hf = layout == CheckpointLayout.HuggingFace;

    public string Embedding => _hf ? "model.embed_tokens.weight" : "embedding.weight";
    public string FinalNorm => _hf ? "model.norm.weight" : "norm.scale";
    public string Unembedding => _hf ? "lm_head.weight" : "unembedding.weight";

    public string AttentionNorm(int l) => _hf ? $"model.layers.{l}.input_layernorm.weight" : $"block.{l}.attn.norm.scale";
    /// <summary>HF only: separate projections (<paramref name="which"/> = q, k or v).</summary>
    public string Projection(int l, char which, string part) => $"model.layers.{l}.self_attn.{which}_proj.{part}";
    /// <summary>Original only: q, k and v stacked by rows.</summary>
    public string FusedQkv(int l, string part) => $"block.{l}.attn.qkv.{part}";
    public string Sinks(int l) => _hf ? $"model.layers.{l}.self_attn.sinks" : $"block.{l}.attn.sinks";
    public string Output(int l, string part) => _hf ? $"model.layers.{l}.self_attn.o_proj.{part}" : $"block.{l}.attn.out.{part}";
    public string MlpNorm(int l) => _hf ? $"model.layers.{l}.post_attention_layernorm.weight" : $"block.{l}.mlp.norm.scale";
    public string Router(int l, string part) => _hf ? $"model.layers.{l}.mlp.router.{part}" : $"block.{l}.mlp.gate.{part}";
    public string GateUpBlocks(int l) => _hf ? $"model.layers.{l}.mlp.experts.gate_up_proj_blocks" : $"block.{l}.mlp.mlp1_weight.blocks";
    public string GateUpScales(int l) => _hf ? $"model.layers.{l}.mlp.experts.gate_up_proj_scales" : $"block.{l}.mlp.mlp1_weight.scales";
    public string GateUpBias(int l) => _hf ? $"model.layers.{l}.mlp.experts.gate_up_proj_bias" : $"block.{l}.mlp.mlp1_bias";
    public string DownBlocks(int l) => _hf ? $"model.layers.{l}.mlp.experts.down_proj_blocks" : $"block.{l}.mlp.mlp2_weight.blocks";
    public string DownScales(int l) => _hf ? $"model.layers.{l}.mlp.experts.down_proj_scales" : $"block.{l}.mlp.mlp2_weight.scales";
    public string DownBias(int l) => _hf ? $"model.layers.{l}.mlp.experts.down_proj_bias" : $"block.{l}.mlp.mlp2_bias";
}
