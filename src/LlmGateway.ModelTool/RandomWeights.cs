using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace LlmGateway.ModelTool;

/// <summary>Deterministic weights: the same seed and tensor name give the same bytes on every machine.</summary>
/// <remarks>
/// Each tensor gets its own xoshiro256** stream seeded from (seed, name), so the bytes of one tensor do
/// not depend on which tensors come before it. Values are uniform with standard deviation 0.02, the usual
/// initialisation scale, which keeps activations finite through any number of layers.
/// </remarks>
public static class RandomWeights
{
    private const float StandardDeviation = 0.02f;
    private const int ChunkElements = 1 << 16;

    public static void Write(Stream output, PlannedTensor tensor, ulong seed)
    {
        var count = tensor.Shape.Aggregate(1UL, (n, d) => n * d);
        var rng = new Xoshiro256(seed ^ Fnv1a(tensor.Name));
        var halfWidth = StandardDeviation * MathF.Sqrt(3f);
        var floats = ArrayPool<float>.Shared.Rent(ChunkElements);
        var halves = ArrayPool<Half>.Shared.Rent(ChunkElements);
        try
        {
            for (ulong done = 0; done < count;)
            {
                var n = (int)Math.Min((ulong)ChunkElements, count - done);
                for (var i = 0; i < n; i++)
                {
                    floats[i] = tensor.Init == WeightInit.Ones ? 1f : (rng.NextFloat() * 2f - 1f) * halfWidth;
                }

                if (tensor.Type == Gguf.GgmlType.F16)
                {
                    for (var i = 0; i < n; i++)
                    {
                        halves[i] = (Half)floats[i];
                    }

                    output.Write(MemoryMarshal.AsBytes(halves.AsSpan(0, n)));
                }
                else
                {
                    output.Write(MemoryMarshal.AsBytes(floats.AsSpan(0, n)));
                }

                done += (ulong)n;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(floats);
            ArrayPool<Half>.Shared.Return(halves);
        }
    }

    private static ulong Fnv1a(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    private struct Xoshiro256
    {
        private ulong _s0, _s1, _s2, _s3;

        public Xoshiro256(ulong seed)
        {
            // SplitMix64 spreads one seed over the four words of state, as the xoshiro authors advise.
            _s0 = SplitMix(ref seed);
            _s1 = SplitMix(ref seed);
            _s2 = SplitMix(ref seed);
            _s3 = SplitMix(ref seed);
        }

        /// <summary>A float in [0, 1) from the top 24 bits of the next output.</summary>
        public float NextFloat() => (Next() >> 40) * (1f / (1 << 24));

        private ulong Next()
        {
            var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
            var t = _s1 << 17;
            _s2 ^= _s0;
            _s3 ^= _s1;
            _s1 ^= _s2;
            _s0 ^= _s3;
            _s2 ^= t;
            _s3 = ulong.RotateLeft(_s3, 45);
            return result;
        }

        private static ulong SplitMix(ref ulong x)
        {
            var z = x += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
