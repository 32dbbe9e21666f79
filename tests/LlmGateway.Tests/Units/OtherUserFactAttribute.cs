namespace LlmGateway.Tests.Units;

/// <summary>A test that acts as another user (nobody, uid 65534) through setpriv and curl: it needs root and those tools.</summary>
/// <remarks>Without them the test is reported as skipped with the reason, and counted; it never passes without having run.</remarks>
public sealed class OtherUserFactAttribute : FactAttribute
{
    public OtherUserFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "not Linux";
        }
        else if (Environment.UserName != "root")
        {
            Skip = $"acting as another user needs root, and this runs as {Environment.UserName}";
        }
        else if (new[] { "setpriv", "curl" }.FirstOrDefault(t => Find(t) is null) is { } missing)
        {
            Skip = $"{missing} is not on PATH";
        }
    }

    public static string? Find(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, tool))
            .FirstOrDefault(File.Exists);
}
