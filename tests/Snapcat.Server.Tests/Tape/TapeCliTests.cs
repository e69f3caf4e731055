using System.Text.Json;
using Snapcat.Cli.Commands;

namespace Snapcat.Server.Tests.Tape;

/// <summary><c>snapcat tape …</c> in-process on a real library directory.</summary>
public sealed class TapeCliTests
{
    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await SnapcatCommand.RunAsync(args, new CliConsole(stdout, stderr), CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Label_list_verify_export_import_and_clear_errors()
    {
        using var fx = new TapeFixture();
        string lib = fx.Dir.Combine("lib");
        var (row, _) = await fx.CopyAsync("nightly", 150_000, 1);
        fx.Library.Dispose();

        var label = await Run("tape", "label", "--library", lib, "--capacity", "64M", "-o", "json");
        Assert.Equal(0, label.Code);
        Assert.Equal("SC0002", JsonDocument.Parse(label.Out).RootElement.GetProperty("labelled")[0].GetString());

        var list = await Run("tape", "list", "--library", lib, "--capacity", "64M", "-o", "json");
        Assert.Equal(0, list.Code);
        var cartridges = JsonDocument.Parse(list.Out).RootElement.GetProperty("cartridges");
        Assert.Equal(2, cartridges.GetArrayLength());
        var backup = cartridges[0].GetProperty("backups")[0];
        Assert.Equal(row.MediaId, backup.GetProperty("mediaId").GetString());
        Assert.Equal("nightly", backup.GetProperty("label").GetString());
        Assert.Equal("empty", cartridges[1].GetProperty("state").GetString());

        var table = await Run("tape", "list", "--library", lib, "--capacity", "64M");
        Assert.Contains("SC0001/0001", table.Out);
        Assert.Contains("appendable", table.Out);

        var verify = await Run("tape", "verify", row.MediaId, "--library", lib, "--capacity", "64M");
        Assert.Equal(0, verify.Code);
        Assert.Contains("SC0001/0001: OK, ", verify.Out);

        string outDir = fx.Dir.Combine("out");
        var export = await Run("tape", "export", "SC0001", "--to", outDir, "--remove", "--library", lib, "--capacity", "64M");
        Assert.Equal(0, export.Code);
        Assert.False(File.Exists(Path.Combine(lib, "SC0001.aws")));
        var import = await Run("tape", "import", Path.Combine(outDir, "SC0001.aws"), "--library", lib, "--capacity", "64M");
        Assert.Equal(0, import.Code);
        Assert.Contains("imported SC0001 (appendable, 1 backup(s))", import.Out);

        File.WriteAllText(fx.Dir.Combine("junk.aws"), "not a tape");
        var junk = await Run("tape", "import", fx.Dir.Combine("junk.aws"), "--library", lib);
        Assert.Equal(1, junk.Code);
        Assert.Contains("is not a readable Snapcat cartridge", junk.Err);
        Assert.Contains("(tape.import.invalid)", junk.Err);

        var missing = await Run("tape", "list");
        Assert.Equal(2, missing.Code);
        Assert.Contains("needs --library DIR", missing.Err);

        var badId = await Run("tape", "verify", "SC0001-1", "--library", lib);
        Assert.Equal(1, badId.Code);
        Assert.Contains("(tape.media_id)", badId.Err);
    }
}
