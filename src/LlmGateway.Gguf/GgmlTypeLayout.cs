namespace LlmGateway.Gguf;

/// <summary>How many elements a block of a tensor type holds and how many bytes the block takes.</summary>
/// <remarks>Sizes are those of the pinned ggml (<c>sizeof(block_*)</c> in ggml-common.h).</remarks>
public readonly record struct GgmlTypeLayout(int BlockSize, int BlockBytes)
{
    public static bool TryGet(GgmlType type, out GgmlTypeLayout layout)
    {
        layout = type switch
        {
            GgmlType.F32 or GgmlType.I32 => new(1, 4),
            GgmlType.F16 or GgmlType.BF16 or GgmlType.I16 => new(1, 2),
            GgmlType.I8 => new(1, 1),
            GgmlType.I64 or GgmlType.F64 => new(1, 8),
            GgmlType.Q4_0 or GgmlType.IQ4_NL => new(32, 18),
            GgmlType.Q4_1 => new(32, 20),
            GgmlType.Q5_0 => new(32, 22),
            GgmlType.Q5_1 => new(32, 24),
            GgmlType.Q8_0 => new(32, 34),
            GgmlType.Q8_1 => new(32, 36),
            GgmlType.MXFP4 => new(32, 17),
            GgmlType.NVFP4 => new(64, 36),
            GgmlType.Q1_0 => new(128, 18),
            GgmlType.Q2_0 => new(64, 18),
            GgmlType.Q2_K => new(256, 84),
            GgmlType.Q3_K or GgmlType.IQ3_S => new(256, 110),
            GgmlType.Q4_K => new(256, 144),
            GgmlType.Q5_K => new(256, 176),
            GgmlType.Q6_K => new(256, 210),
            GgmlType.Q8_K => new(256, 292),
            GgmlType.IQ2_XXS or GgmlType.TQ2_0 => new(256, 66),
            GgmlType.IQ2_XS => new(256, 74),
            GgmlType.IQ3_XXS => new(256, 98),
            GgmlType.IQ2_S => new(256, 82),
            GgmlType.IQ1_S => new(256, 50),
            GgmlType.IQ1_M => new(256, 56),
            GgmlType.IQ4_XS => new(256, 136),
            GgmlType.TQ1_0 => new(256, 54),
            _ => default,
        };
        return layout.BlockSize != 0;
    }

    public static GgmlTypeLayout Of(GgmlType type) =>
        TryGet(type, out var layout) ? layout : throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown ggml type.");
}
