using LlmGateway.Cli.Workloads;

namespace LlmGateway.Cli.Tests;

public sealed class WorkloadReaderTests
{
    private const string File = "w.jsonl";

    private static Workload Parse(params string[] lines) => WorkloadReader.Parse(File, lines);

    private static string Fault(params string[] lines) => Assert.Throws<WorkloadFormatException>(() => Parse(lines)).Message;

    private const string Good = """{"messages":[{"role":"user","content":"hi"}]}""";

    [Fact]
    public void A_header_sets_name_arrival_and_a_system_prompt_shared_by_lines_without_their_own()
    {
        var workload = Parse(
            """{"name":"sec","arrival":"poisson","rate":2,"system":"You classify."}""",
            "",
            """{"id":"a","messages":[{"role":"user","content":"x"}],"max_tokens":8,"expected":{"regex":"^b"}}""",
            """{"messages":[{"role":"system","content":"own"},{"role":"user","content":"y"}]}""");

        Assert.Equal("sec", workload.Name);
        Assert.Equal(new ArrivalPattern(ArrivalKind.Poisson, 2), workload.Arrival);
        Assert.Equal(2, workload.Requests.Count);
        var first = workload.Requests[0];
        Assert.Equal(("a", 3), (first.Id, first.Line));
        Assert.Equal("You classify.", (string?)first.Body["messages"]![0]!["content"]);
        Assert.False(first.Body.ContainsKey("expected"));
        Assert.False(first.Body.ContainsKey("id"));
        Assert.IsType<Expectation.Pattern>(first.Expected);
        Assert.Equal("line-4", workload.Requests[1].Id);
        Assert.Equal("own", (string?)workload.Requests[1].Body["messages"]![0]!["content"]);
        Assert.Equal(2, workload.Requests[1].Body["messages"]!.AsArray().Count);
    }

    [Fact]
    public void Without_a_header_requests_go_one_at_a_time()
    {
        var workload = Parse(Good);
        Assert.Equal(ArrivalPattern.Sequential, workload.Arrival);
        Assert.Equal("w", workload.Name);
    }

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("[1,2]", "one JSON object")]
    [InlineData("""{"model":"m"}""", "\"messages\" must be a non-empty array")]
    [InlineData("""{"messages":[]}""", "\"messages\" must be a non-empty array")]
    [InlineData("""{"messages":[{"role":"robot","content":"x"}]}""", "messages[0].role")]
    [InlineData("""{"messages":[{"role":"user","content":3}]}""", "messages[0].content")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"max_tokens":0}""", "\"max_tokens\" must be a positive whole number")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"n":2}""", "\"n\" must be 1")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"expected":"yes"}""", "\"expected\" must be an object")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"expected":{"exact":"a","regex":"b"}}""", "it needs exactly one of")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"expected":{"regex":"(unclosed"}}""", "\"expected.regex\" is not a valid pattern")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"expected":{"field":"a..b","value":1}}""", "\"expected.field\" must be a dotted path")]
    [InlineData("""{"id":"line-2","messages":[{"role":"user","content":"x"}]}""", "already used on line 2")]
    public void A_bad_line_is_refused_naming_the_file_the_line_and_what_is_wrong(string line, string what)
    {
        // The bad line is the third: after a good line with the id line-2 (the second line's default id).
        var message = Fault("", Good, line);
        Assert.StartsWith($"{File}:3: ", message, StringComparison.Ordinal);
        Assert.Contains(what, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"arrival":"fixed"}""", "needs \"rate\"")]
    [InlineData("""{"arrival":"poisson","rate":-1}""", "not a positive number")]
    [InlineData("""{"arrival":"burst","rate":1}""", "none of sequential, fixed, poisson")]
    [InlineData("""{"arrival":"sequential","rate":1}""", "\"rate\" is for the fixed and poisson")]
    [InlineData("""{"system":"s","colour":"red"}""", "unknown header key 'colour'")]
    public void A_bad_header_is_refused_naming_its_line(string header, string what)
    {
        var message = Fault(header, Good);
        Assert.StartsWith($"{File}:1: ", message, StringComparison.Ordinal);
        Assert.Contains(what, message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_without_requests_is_refused()
    {
        Assert.Contains("no requests", Fault("", """{"system":"s"}"""), StringComparison.Ordinal);
    }

    [Fact]
    public void The_shipped_endpoint_security_workload_is_valid()
    {
        var workload = WorkloadReader.Read(Path.Combine(RepoRoot(), "bench", "workloads", "endpoint-security.jsonl"));

        Assert.Equal("endpoint-security", workload.Name);
        Assert.InRange(workload.Requests.Count, 30, 60);
        Assert.All(workload.Requests, r => Assert.Equal("system", (string?)r.Body["messages"]![0]!["role"]));
        Assert.All(workload.Requests, r => Assert.NotNull(r.Expected));
    }

    [Fact]
    public void Limit_keeps_the_first_requests_in_their_order_and_the_header()
    {
        var settings = new LlmGateway.Cli.Report.ReportSettings
        {
            Workload = Path.Combine(RepoRoot(), "bench", "workloads", "endpoint-security.jsonl"), Limit = 3,
        };
        var (all, _) = new LlmGateway.Cli.Report.ReportSettings { Workload = settings.Workload }.ReadWorkload();

        var (limited, arrival) = settings.ReadWorkload();

        Assert.Equal(all.Requests.Take(3).Select(r => (r.Line, r.Id)), limited.Requests.Select(r => (r.Line, r.Id)));
        Assert.Equal((all.Name, all.Arrival), (limited.Name, arrival));
        Assert.Contains("--limit must be at least 1", new LlmGateway.Cli.Report.ReportSettings { Workload = settings.Workload, Limit = 0 }.Validate().Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sequential", ArrivalKind.Sequential, 0)]
    [InlineData("fixed:4", ArrivalKind.Fixed, 4)]
    [InlineData("poisson:0.5", ArrivalKind.Poisson, 0.5)]
    public void Arrival_options_parse(string text, ArrivalKind kind, double rate)
    {
        Assert.Equal(new ArrivalPattern(kind, rate), ArrivalPattern.TryParse(text, out var problem));
        Assert.Null(problem);
    }

    [Theory]
    [InlineData("poisson")]
    [InlineData("fixed:0")]
    [InlineData("sometimes:1")]
    public void Bad_arrival_options_say_why(string text)
    {
        Assert.Null(ArrivalPattern.TryParse(text, out var problem));
        Assert.NotNull(problem);
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "LlmGateway.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("the tests run outside the repository");
    }
}
