using System.Xml.Linq;

namespace Snapcat.Core.Tests.Architecture;

/// <summary>
/// The layering of the product's projects, read from the csproj files themselves: a daemon (array, agent,
/// backup server) never references another daemon, nor the CLI; they meet only through Snapcat.Contracts
/// (wire contracts and typed clients) and Snapcat.ControlApi (host plumbing and the client base). Only the
/// CLI composes daemons.
/// </summary>
public sealed class ProjectLayeringTests
{
    private static readonly string[] Daemons = ["Snapcat.Array", "Snapcat.Agent", "Snapcat.Server"];

    // What each shared library may stand on: below it, never beside or above.
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Snapcat.Core"] = [],
        ["Snapcat.ControlApi"] = ["Snapcat.Core"],
        ["Snapcat.Contracts"] = ["Snapcat.Core", "Snapcat.ControlApi"],
        ["Snapcat.Nbd"] = ["Snapcat.Core"],
        ["Snapcat.Tape"] = ["Snapcat.Core"],
    };

    [Fact]
    public void No_daemon_references_another_daemon_or_the_cli()
    {
        var refs = ReadReferences();
        foreach (var daemon in Daemons)
        {
            Assert.True(refs.ContainsKey(daemon), $"{daemon}.csproj not found under src/");
            var bad = refs[daemon].Where(r => r != daemon && (Daemons.Contains(r) || r == "Snapcat.Cli")).ToList();
            Assert.True(bad.Count == 0, $"{daemon} references {string.Join(", ", bad)}; daemons meet only through Snapcat.Contracts");
        }
    }

    [Fact]
    public void Shared_libraries_reference_only_what_lies_below_them()
    {
        var refs = ReadReferences();
        foreach (var (project, allowed) in Allowed)
        {
            Assert.True(refs.ContainsKey(project), $"{project}.csproj not found under src/");
            var bad = refs[project].Except(allowed).ToList();
            Assert.True(bad.Count == 0, $"{project} references {string.Join(", ", bad)}; it may stand only on {string.Join(", ", allowed.DefaultIfEmpty("nothing"))}");
        }
    }

    [Fact]
    public void The_reader_sees_the_cli_compose_every_daemon()
    {
        // Proves the csproj reading itself works: the CLI is the one project that references all three.
        var cli = ReadReferences()["Snapcat.Cli"];
        Assert.All(Daemons, d => Assert.Contains(d, cli));
    }

    private static Dictionary<string, List<string>> ReadReferences()
    {
        var src = Path.Combine(RepositoryRoot(), "src");
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var csproj in Directory.EnumerateFiles(src, "*.csproj", SearchOption.AllDirectories))
        {
            var doc = XDocument.Load(csproj);
            result[Path.GetFileNameWithoutExtension(csproj)] = doc.Descendants("ProjectReference")
                .Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value.Replace('\\', '/')))
                .ToList();
        }
        return result;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Snapcat.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Snapcat.slnx not found above " + AppContext.BaseDirectory);
    }
}
