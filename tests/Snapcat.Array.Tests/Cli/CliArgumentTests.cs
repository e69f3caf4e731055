using Snapcat.Cli.Commands;
using Snapcat.Cli.Commands.Connection;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.Cli;

public class CliArgumentTests
{
    // Any address: usage errors are caught before a connection is attempted.
    private static readonly string[] Conn = ["--url", "http://127.0.0.1:9", "--token", "t"];

    [Fact]
    public async Task Unknown_command_is_a_usage_error()
    {
        var r = await CliRun.RunAsync("array", "frobnicate");
        Assert.Equal(SnapcatCommand.ExitUsage, r.ExitCode);
        Assert.Contains("error: Unrecognized command or argument 'frobnicate'", r.Stderr);
        Assert.Contains("snapcat array --help", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public async Task Missing_size_is_a_usage_error()
    {
        var r = await CliRun.RunAsync(["array", "volume", "create", .. Conn]);
        Assert.Equal(SnapcatCommand.ExitUsage, r.ExitCode);
        Assert.Contains("'--size' is required", r.Stderr);
    }

    [Theory]
    [InlineData("12Q", "unknown unit")]
    [InlineData("big", "not a whole number")]
    [InlineData("0", "above zero")]
    public async Task Bad_size_says_what_is_wrong(string size, string expected)
    {
        var r = await CliRun.RunAsync(["array", "volume", "create", "--size", size, .. Conn]);
        Assert.Equal(SnapcatCommand.ExitUsage, r.ExitCode);
        Assert.Contains("error: --size:", r.Stderr);
        Assert.Contains(expected, r.Stderr);
    }

    [Fact]
    public async Task Volume_number_must_be_a_number()
    {
        var r = await CliRun.RunAsync(["array", "volume", "show", "three", .. Conn]);
        Assert.Equal(SnapcatCommand.ExitUsage, r.ExitCode);
        Assert.Contains("three", r.Stderr);
    }

    [Theory]
    [InlineData("array", "job", "wait", "a/b", "--url", "http://127.0.0.1:1")]
    [InlineData("job", "cancel", "a b", "--server", "http://127.0.0.1:1")]
    [InlineData("job", "show", "../x", "--server", "http://127.0.0.1:1")]
    public async Task A_job_id_that_cannot_be_a_path_segment_is_a_usage_error_on_both_job_commands(params string[] args)
    {
        // The array's and the server's job commands are one piece of code: the server's IDs are checked like the array's.
        var r = await CliRun.RunAsync([.. args, "--token", "t"]);
        Assert.Equal(SnapcatCommand.ExitUsage, r.ExitCode);
        Assert.Contains("is not a job ID (e.g. j-0123456789ab)", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public async Task Port_must_be_host_and_port()
    {
        var r = await CliRun.RunAsync(["array", "assign", "1", "--port", "localhost", "--lun", "1", .. Conn]);
        Assert.Equal(SnapcatCommand.ExitUsage, r.ExitCode);
        Assert.Contains("--port: 'localhost' is not host:port", r.Stderr);
    }

    [Fact]
    public async Task Output_format_is_table_or_json()
    {
        var r = await CliRun.RunAsync(["array", "volume", "list", "--output", "xml", .. Conn]);
        Assert.Equal(SnapcatCommand.ExitUsage, r.ExitCode);
        Assert.Contains("'xml'", r.Stderr);
    }

    [Theory]
    [InlineData("array")]
    [InlineData("agent")]
    [InlineData("server")]
    public async Task Serve_without_a_configuration_reads_the_default_path_and_says_so_in_its_help(string daemon)
    {
        string config = $"/etc/snapcat/{daemon}.json";
        var help = await CliRun.RunAsync(daemon, "serve", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains(config, help.Stdout);
        if (File.Exists(config)) return; // an installed system: its daemon is not started from a test
        var r = await Snapcat.TestKit.SnapcatBinary.RunAsync([daemon, "serve"], TimeSpan.FromSeconds(60));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(config, r.Stderr);
        Assert.Contains("does not exist", r.Stderr);
    }

    [Fact]
    public async Task Without_an_array_the_error_says_how_to_name_one()
    {
        if (Environment.GetEnvironmentVariable(ArrayConnection.UrlVariable) is not null) return; // the caller named one
        var r = await CliRun.RunAsync("array", "volume", "list");
        Assert.Equal(SnapcatCommand.ExitUsage, r.ExitCode);
        Assert.Contains("--url", r.Stderr);
        Assert.Contains("SNAPCAT_ARRAY_URL", r.Stderr);
        Assert.Contains("(cli.no_array)", r.Stderr);
    }

    [Fact]
    public async Task Url_must_be_http()
    {
        var r = await CliRun.RunAsync("array", "info", "--url", "127.0.0.1:8470", "--token", "t");
        Assert.Equal(SnapcatCommand.ExitUsage, r.ExitCode);
        Assert.Contains("not an http:// or https:// URL", r.Stderr);
    }

    [Fact]
    public async Task Info_put_refuses_a_file_that_is_not_512_bytes_before_calling_the_array()
    {
        using var dir = new TempDir("cli");
        string file = dir.Combine("short.bin");
        await File.WriteAllBytesAsync(file, new byte[100]);
        using var server = new FakeArrayServer(_ => FakeArrayServer.Reply.Empty(204));
        var r = await CliRun.RunAsync("array", "info", "put", "1", "--file", file, "--url", server.Url, "--token", "t");
        Assert.Equal(SnapcatCommand.ExitError, r.ExitCode);
        Assert.Contains("is 100 bytes; volume information is exactly 512", r.Stderr);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task The_real_executable_exits_2_on_a_usage_error_and_1_on_an_unreachable_array()
    {
        var usage = await SnapcatBinary.RunAsync(["array", "volume", "create", "--size", "12Q", .. Conn]);
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("error: --size: size '12Q' has an unknown unit", usage.Stderr);

        int closed = FreePort.Next(); // nothing listens there once the probe socket is closed
        var down = await SnapcatBinary.RunAsync(["array", "volume", "list", "--url", $"http://127.0.0.1:{closed}", "--token", "t"]);
        Assert.Equal(1, down.ExitCode);
        Assert.Contains($"error: could not reach the array at http://127.0.0.1:{closed}/", down.Stderr);
        Assert.Contains("(array.unreachable)", down.Stderr);
        Assert.Equal("", down.Stdout);
    }
}
