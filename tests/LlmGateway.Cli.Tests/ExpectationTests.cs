using System.Text.Json;
using System.Text.RegularExpressions;
using LlmGateway.Cli.Workloads;

namespace LlmGateway.Cli.Tests;

/// <summary>The correctness scorer on canned answers.</summary>
public sealed class ExpectationTests
{
    private static Expectation.JsonField Field(string path, string valueJson) => new(path, JsonDocument.Parse(valueJson).RootElement.Clone());

    [Theory]
    [InlineData("auth", true)]
    [InlineData("  auth\n", true)]
    [InlineData("Auth", false)]
    [InlineData("auth.", false)]
    public void Exact_ignores_surrounding_white_space_only(string answer, bool correct) =>
        Assert.Equal(correct, new Expectation.Exact("auth").Matches(answer));

    [Theory]
    [InlineData("The address is 185.220.101.34.", true)]
    [InlineData("185x220x101x34", false)]
    public void Regex_finds_a_match_anywhere(string answer, bool correct) =>
        Assert.Equal(correct, new Expectation.Pattern(new Regex(@"185\.220\.101\.34")).Matches(answer));

    [Theory]
    [InlineData("""{"verdict":"malicious","reason":"reverse shell"}""", true)]
    [InlineData("""{"verdict":"Malicious"}""", true)]
    [InlineData("Here you go:\n```json\n{\"verdict\": \"malicious\", \"category\": \"process\"}\n```", true)]
    [InlineData("""{"verdict":"benign"}""", false)]
    [InlineData("""{"reason":"no verdict"}""", false)]
    [InlineData("malicious", false)]
    [InlineData("{broken {\"verdict\":\"malicious\"}", true)]
    [InlineData("", false)]
    public void Json_field_reads_the_first_object_even_in_a_fence_or_prose(string answer, bool correct) =>
        Assert.Equal(correct, Field("verdict", "\"malicious\"").Matches(answer));

    [Fact]
    public void Json_field_follows_a_dotted_path_and_compares_numbers_and_booleans_by_value()
    {
        Assert.True(Field("result.severity", "3").Matches("""{"result":{"severity":3.0}}"""));
        Assert.False(Field("result.severity", "3").Matches("""{"result":{"severity":"3"}}"""));
        Assert.True(Field("alert", "true").Matches("""{"alert":true}"""));
        Assert.False(Field("alert", "true").Matches("""{"alert":false}"""));
        Assert.False(Field("result.severity", "3").Matches("""{"result":3}"""));
    }
}
