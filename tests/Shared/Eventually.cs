using System.Diagnostics;

namespace LlmGateway.Tests;

/// <summary>Waits for a state, not for a time: polls until a condition holds, with a generous ceiling that only a hang reaches.</summary>
/// <remarks>
/// The ceiling is no assertion on speed: a loaded CI host makes everything slower, and a test must not fail for it.
/// What a test asserts is that the state was reached; the message says what was awaited.
/// </remarks>
internal static class Eventually
{
    /// <summary>Long enough for a busy two-core host; a state not reached by then is not coming.</summary>
    public static readonly TimeSpan Ceiling = TimeSpan.FromSeconds(120);

    /// <summary>Polls <paramref name="probe"/> until <paramref name="done"/>; fails with <paramref name="what"/> and the last value past the ceiling.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? ceiling = null)
    {
        var clock = Stopwatch.StartNew();
        var limit = ceiling ?? Ceiling;
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"Still waiting after {limit.TotalSeconds:0} s for {what}; last seen: {value}");
            }

            await Task.Delay(50);
        }
    }

    public static Task<T> UntilAsync<T>(Func<T> probe, Func<T, bool> done, string what, TimeSpan? ceiling = null) =>
        UntilAsync(() => Task.FromResult(probe()), done, what, ceiling);
}
