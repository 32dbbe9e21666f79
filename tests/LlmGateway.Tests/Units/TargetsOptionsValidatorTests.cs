using LlmGateway.Scoring;

namespace LlmGateway.Tests.Units;

/// <summary>Section Targets: each bad target is refused naming the setting; the research's defaults and edges are accepted.</summary>
public sealed class TargetsOptionsValidatorTests
{
    [Theory]
    [InlineData("IdleCpuPercent", 0, "Targets:IdleCpuPercent must be more than 0 and at most 100")]
    [InlineData("ActiveCpuMeanPercent", 101, "Targets:ActiveCpuMeanPercent must be more than 0 and at most 100")]
    [InlineData("ActiveCpuP99Percent", double.NaN, "Targets:ActiveCpuP99Percent must be more than 0 and at most 100")]
    [InlineData("RamGigabytes", -1, "Targets:RamGigabytes must be a positive number")]
    [InlineData("P95LatencySeconds", double.PositiveInfinity, "Targets:P95LatencySeconds must be a positive number")]
    [InlineData("TailRatio", 1, "Targets:TailRatio must be more than 1")]
    public void A_bad_target_is_refused_naming_it(string key, double value, string message)
    {
        var options = new TargetsOptions();
        typeof(TargetsOptions).GetProperty(key)!.SetValue(options, value);

        var result = new TargetsOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(message, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void The_invisible_defaults_and_the_edges_are_accepted()
    {
        Assert.True(new TargetsOptionsValidator().Validate(null, new TargetsOptions()).Succeeded);
        var edges = new TargetsOptions { IdleCpuPercent = 100, ActiveCpuMeanPercent = 0.01, TailRatio = 1.001, RamGigabytes = 0.001 };
        Assert.True(new TargetsOptionsValidator().Validate(null, edges).Succeeded);
    }
}
