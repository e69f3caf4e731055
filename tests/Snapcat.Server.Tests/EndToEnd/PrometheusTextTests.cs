using Snapcat.TestKit;

namespace Snapcat.Server.Tests.EndToEnd;

/// <summary>The strict exposition parser the metrics tests rely on: what it accepts, and that it refuses broken text.</summary>
public sealed class PrometheusTextTests
{
    private const string Good = """
        # HELP snapcat_jobs Jobs by state\nand kind, with a \\ too
        # TYPE snapcat_jobs gauge
        snapcat_jobs{state="succeeded",kind="backup"} 2
        snapcat_jobs{state="failed",kind="back\"up\\x\n",} 0 1712345678000
        # TYPE c_total counter
        c_total 1.5e3
        # TYPE h histogram
        h_bucket{le="1"} 1
        h_bucket{le="+Inf"} 2
        h_sum 3
        h_count 2
        untyped_one NaN

        """;

    [Fact]
    public void A_well_formed_exposition_parses_with_types_help_labels_and_values()
    {
        var m = PrometheusText.Parse(Good.Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.Equal("gauge", m.Family("snapcat_jobs").Type);
        Assert.Equal("Jobs by state\nand kind, with a \\ too", m.Family("snapcat_jobs").Help);
        Assert.Equal(2, m.Value("snapcat_jobs", "state=succeeded", "kind=backup"));
        Assert.Equal(0, m.Value("snapcat_jobs", "kind=back\"up\\x\n"));
        Assert.Equal(1500, m.Value("c_total"));
        Assert.Equal(4, m.Family("h").Samples.Count);
        Assert.Equal("untyped", m.Family("untyped_one").Type);
        Assert.Null(m.Value("snapcat_jobs", "state=nothing"));
    }

    [Theory]
    [InlineData("a 1", "line feed")]
    [InlineData("1a 1\n", "metric name")]
    [InlineData("a{b=\"1\" 1\n", "',' or '}'")]
    [InlineData("a{b=1} 1\n", "=\"value\"")]
    [InlineData("a{b=\"1\",b=\"2\"} 1\n", "twice")]
    [InlineData("a{__x=\"1\"} 1\n", "reserved")]
    [InlineData("a{b=\"\\t\"} 1\n", "escape")]
    [InlineData("a one\n", "sample value")]
    [InlineData("a 1 2.5\n", "timestamp")]
    [InlineData("a 1\na 2\n", "twice")]
    [InlineData("# TYPE a gauge\n# TYPE a gauge\na 1\n", "second TYPE")]
    [InlineData("# TYPE a meter\na 1\n", "TYPE needs")]
    [InlineData("a 1\n# TYPE a gauge\n", "after its samples")]
    [InlineData("a{x=\"1\"} 1\nb 1\na{x=\"2\"} 1\n", "apart from")]
    [InlineData("# TYPE a counter\na -1\n", "non-negative")]
    [InlineData("# TYPE h histogram\nh_bucket 1\n", "le label")]
    public void Broken_expositions_are_refused_naming_the_problem(string text, string problem)
    {
        var e = Assert.Throws<FormatException>(() => PrometheusText.Parse(text));
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }
}
