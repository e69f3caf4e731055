using Snapcat.Core.Errors;
using Snapcat.Server.Config;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.TapeFlows;

public sealed class TapeConfigTests : IDisposable
{
    private readonly TempDir _dir = new("tape-config");

    public void Dispose() => _dir.Dispose();

    private string Write(string tapeLibrary)
    {
        string p = _dir.Combine("server.json");
        File.WriteAllText(p, $$"""
            {
              "control": { "insecure": true, "listen": "127.0.0.1:8480", "token": "t" },
              "arrays": { "ARRAY-01": { "url": "http://127.0.0.1:8470", "token": "b" } },
              "tapeLibrary": {{tapeLibrary}}
            }
            """);
        return p;
    }

    [Fact]
    public void The_tape_library_directory_is_relative_to_the_configuration()
    {
        var c = ServerConfigLoader.Load(Write("""{ "libraryId": "TAPE-01", "directory": "tapes", "capacity": "8M", "slots": 4 }"""));
        Assert.Equal(_dir.Combine("tapes"), c.TapeLibrary!.Directory);
        Assert.Equal(8L << 20, c.TapeLibrary.CapacityBytes);
        Assert.Null(ServerConfigLoader.Validate(new ServerConfig { Control = new() { Listen = "127.0.0.1:1", Token = "t", Insecure = true } }, _dir.Combine("x.json")).TapeLibrary);
    }

    [Fact]
    public void A_bad_tape_library_is_refused_with_every_problem()
    {
        var e = Assert.Throws<SnapcatException>(() => ServerConfigLoader.Load(Write("""{ "libraryId": "ARRAY-01", "directory": "tapes", "capacity": "1K" }""")));
        Assert.Equal("config.invalid", e.Code);
        Assert.Contains("tapeLibrary: cartridge capacity 1K is below the 1M minimum", e.Message);
        Assert.Contains("is also an array's device ID", e.Message);
    }
}
