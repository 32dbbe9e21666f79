using System.Globalization;

namespace Soak;

/// <summary>The run's knobs, from --name value pairs (bench/soak.sh sets them).</summary>
public sealed record SoakSettings(
    string Url,
    int GatewayPid,
    double Minutes,
    int Workers,
    int PromptWords,
    int MaxTokens,
    double KillEverySeconds,
    double SampleSeconds,
    double WarmupMinutes,
    long BudgetBytes,
    string OutDirectory)
{
    public static SoakSettings Parse(string[] args)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            map[args[i].TrimStart('-')] = args[i + 1];
        }

        string S(string key, string fallback) => map.GetValueOrDefault(key, fallback);
        double D(string key, double fallback) => map.TryGetValue(key, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
        var minutes = D("minutes", 30);
        return new SoakSettings(
            S("url", "http://127.0.0.1:18600"),
            int.Parse(S("gateway-pid", "0"), CultureInfo.InvariantCulture),
            minutes,
            (int)D("workers", 3),
            (int)D("prompt-words", 1900),
            (int)D("max-tokens", 16),
            D("kill-every-seconds", 600),
            D("sample-seconds", 5),
            // The gateway's JIT, pools and caches fill in the first minutes; compare what follows.
            D("warmup-minutes", Math.Min(5, minutes / 5)),
            (long)D("budget-bytes", 0),
            S("out", "."));
    }
}
