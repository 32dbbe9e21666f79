using Microsoft.Extensions.Options;

namespace LlmGateway.Model;

/// <summary>Rejects a Models section that would only fail later, naming the setting (<c>Models:1:KeepAliveSeconds</c>) and what it accepts.</summary>
public sealed class ModelsOptionsValidator : IValidateOptions<ModelsOptions>
{
    public ValidateOptionsResult Validate(string? name, ModelsOptions o)
    {
        List<string> errors = [];
        void Check(bool ok, string message)
        {
            if (!ok)
            {
                errors.Add(message);
            }
        }

        const string S = ModelsOptions.Section;
        Check(o.KeepAliveSeconds is >= 0 and <= 31_536_000, $"{S}:KeepAliveSeconds must be 0 (keep loaded) to 31536000 seconds, not {o.KeepAliveSeconds}.");
        Check(o.LoadWaitSeconds is >= 0 and <= 3600, $"{S}:LoadWaitSeconds must be 0 to 3600 seconds, not {o.LoadWaitSeconds}.");
        Check(o.SwapHoldSeconds is >= 0 and <= 3600, $"{S}:SwapHoldSeconds must be 0 to 3600 seconds, not {o.SwapHoldSeconds}.");
        Check(o.SwapMaxWaitSeconds is >= 0 and <= 3600, $"{S}:SwapMaxWaitSeconds must be 0 to 3600 seconds, not {o.SwapMaxWaitSeconds}.");
        Check(string.IsNullOrWhiteSpace(o.PromptCacheDirectory) || System.IO.Directory.Exists(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(o.PromptCacheDirectory))),
            $"{S}:PromptCacheDirectory '{o.PromptCacheDirectory}' cannot be made: its parent directory does not exist.");
        Check(string.IsNullOrWhiteSpace(o.Directory) || System.IO.Directory.Exists(o.Directory),
            $"{S}:Directory '{o.Directory}' is not a directory.");
        foreach (var e in o.Entries)
        {
            Check(!string.IsNullOrWhiteSpace(e.Path), $"{e.Key}:Path must name a GGUF file.");
            Check(e.ContextSize is null or >= 64 and <= 1 << 20, $"{e.Key}:ContextSize must be 64 to 1048576, not {e.ContextSize}.");
            Check(e.Parallel is null or >= 1 and <= 256, $"{e.Key}:Parallel must be 1 to 256, not {e.Parallel}.");
            Check(e.CpuWeight is null or >= 1 and <= 10_000, $"{e.Key}:CpuWeight must be 1 to 10000 (100 is the default share), not {e.CpuWeight}.");
            Check(e.KeepAliveSeconds is null or >= 0 and <= 31_536_000, $"{e.Key}:KeepAliveSeconds must be 0 (keep loaded) to 31536000 seconds, not {e.KeepAliveSeconds}.");
            Check(e.Id is null || (e.Id.Length is > 0 and <= 256 && !e.Id.Any(char.IsControl)), $"{e.Key}:Id must be 1 to 256 printable characters.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
