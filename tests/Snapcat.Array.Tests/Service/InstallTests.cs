using System.Text.Json;
using Snapcat.Array.Tests.Cli;
using Snapcat.TestKit;
using Xunit.Abstractions;

namespace Snapcat.Array.Tests.Service;

/// <summary>
/// packaging/install.sh with <c>--dest-root</c> a temporary folder (no real /etc or /usr touched): the program,
/// the link in bin, the units pointed at the prefix, the man page, the bash completion and a configuration per
/// daemon land with the right modes; a second run leaves the configurations as they were. And the completion
/// script and the man page, made from the command tree, are what bash and groff accept.
/// </summary>
public sealed class InstallTests(ITestOutputHelper output)
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Public = Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode PrivateDir = Private | UnixFileMode.UserExecute;

    [Fact]
    public async Task Install_into_a_dest_root_puts_every_file_in_place_with_its_mode_and_keeps_existing_configurations()
    {
        using var root = new TempDir("install");
        string from = CliBuild();
        var r = await Tool.RunAsync("bash", [Path.Combine(Repo.Root, "packaging", "install.sh"), "--dest-root", root.Path, "--from", from, "--prefix", "/opt/snapcat"],
            TimeSpan.FromSeconds(300));
        output.WriteLine(r.Stdout + r.Stderr);
        Assert.True(r.ExitCode == 0, $"install.sh exited {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");

        string prefix = root.Combine("opt", "snapcat");
        Assert.True(File.Exists(Path.Combine(prefix, "lib", "snapcat", "snapcat.dll")));
        Assert.Equal("/opt/snapcat/lib/snapcat/snapcat", new FileInfo(Path.Combine(prefix, "bin", "snapcat")).LinkTarget);
        foreach (string daemon in new[] { "array", "agent", "server" })
        {
            string unit = root.Combine("etc", "systemd", "system", $"snapcat-{daemon}.service");
            Assert.Equal(Public, File.GetUnixFileMode(unit));
            Assert.Contains($"\nExecStart=/opt/snapcat/bin/snapcat {daemon} serve --config /etc/snapcat/{daemon}.json\n", File.ReadAllText(unit));
            string config = root.Combine("etc", "snapcat", daemon + ".json");
            Assert.Equal(Private, File.GetUnixFileMode(config));
            Assert.Equal(Private, File.GetUnixFileMode(root.Combine("etc", "snapcat", daemon + ".key")));
            Assert.Equal(Private, File.GetUnixFileMode(root.Combine("etc", "snapcat", daemon + ".token")));
        }
        Assert.Equal(PrivateDir, File.GetUnixFileMode(root.Combine("etc", "snapcat")));
        Assert.Equal(PrivateDir, File.GetUnixFileMode(root.Combine("var", "lib", "snapcat")));
        using (var array = JsonDocument.Parse(File.ReadAllText(root.Combine("etc", "snapcat", "array.json"))))
            Assert.Equal("/var/lib/snapcat/array", array.RootElement.GetProperty("dataDirectory").GetString());
        using (var server = JsonDocument.Parse(File.ReadAllText(root.Combine("etc", "snapcat", "server.json"))))
            Assert.Equal("/var/lib/snapcat/server/catalog.db", server.RootElement.GetProperty("catalog").GetProperty("path").GetString());
        string man = Path.Combine(prefix, "share", "man", "man1", "snapcat.1");
        Assert.Equal(Public, File.GetUnixFileMode(man));
        Assert.StartsWith(".\\\" snapcat(1)", File.ReadAllText(man));
        string completion = Path.Combine(prefix, "share", "bash-completion", "completions", "snapcat");
        Assert.Equal(Public, File.GetUnixFileMode(completion));
        Assert.Contains("complete -o default -F _snapcat snapcat", File.ReadAllText(completion));
        Assert.Contains("systemctl not called", r.Stdout);

        // Again: the configurations (and their keys and tokens) stay as they are.
        var before = Directory.GetFiles(root.Combine("etc", "snapcat")).ToDictionary(f => f, File.ReadAllBytes);
        var again = await Tool.RunAsync("bash", [Path.Combine(Repo.Root, "packaging", "install.sh"), "--dest-root", root.Path, "--from", from, "--prefix", "/opt/snapcat"],
            TimeSpan.FromSeconds(300));
        Assert.True(again.ExitCode == 0, $"install.sh exited {again.ExitCode}\n{again.Stdout}\n{again.Stderr}");
        Assert.Contains("array.json exists, left as it is", again.Stdout);
        foreach (var (f, bytes) in before) Assert.Equal(bytes, File.ReadAllBytes(f));

        // The installed units verify as they are, the installed program standing in at its final path.
        if (!Tool.Exists("systemd-analyze")) { output.WriteLine("systemd-analyze is not installed: installed units not verified"); return; }
        foreach (string daemon in new[] { "array", "agent", "server" })
        {
            string unit = root.Combine("etc", "systemd", "system", $"snapcat-{daemon}.service");
            string copy = root.Combine($"snapcat-{daemon}.service");
            File.WriteAllText(copy, File.ReadAllText(unit).Replace("/opt/snapcat/bin/snapcat", Path.Combine(prefix, "lib", "snapcat", "snapcat"), StringComparison.Ordinal));
            var v = await Tool.RunAsync("systemd-analyze", ["verify", "--man=no", copy], TimeSpan.FromSeconds(60));
            Assert.True(v.ExitCode == 0 && (v.Stdout + v.Stderr).Trim().Length == 0, $"{daemon}: {v.Stdout}{v.Stderr}");
        }
    }

    /// <summary>The CLI's own build output (what dotnet publish would copy), else the test's folder, which holds it too.</summary>
    private static string CliBuild()
    {
        string tests = Path.GetDirectoryName(SnapcatBinary.DllPath)!;
        string configuration = Path.GetFileName(Path.GetDirectoryName(tests)!);
        string cli = Path.Combine(Repo.Root, "src", "Snapcat.Cli", "bin", configuration, Path.GetFileName(tests));
        return File.Exists(Path.Combine(cli, "snapcat.dll")) ? cli : tests;
    }

    [Fact]
    public async Task The_bash_completion_knows_the_command_tree_and_bash_accepts_it()
    {
        var r = await CliRun.RunAsync("completion", "bash");
        Assert.Equal(0, r.ExitCode);
        foreach (string part in new[] { "['snapcat']=", "['snapcat array volume']=", "['snapcat backup run']=", "['snapcat init server']=", "--state-dir", "['snapcat --output']='json table'" })
            Assert.Contains(part, r.Stdout);
        using var dir = new TempDir("completion");
        string script = dir.Combine("snapcat");
        await File.WriteAllTextAsync(script, r.Stdout);
        var syntax = await Tool.RunAsync("bash", ["-n", script]);
        Assert.True(syntax.ExitCode == 0, syntax.Stderr);

        // What a tab press offers, by the completion function itself.
        async Task<string[]> Complete(params string[] words)
        {
            string quoted = string.Join(' ', words.Select(w => "'" + w + "'"));
            var run = await Tool.RunAsync("bash", ["-c", $"source '{script}'; COMP_WORDS=({quoted}); COMP_CWORD={words.Length - 1}; _snapcat; printf '%s\\n' \"${{COMPREPLY[@]}}\""]);
            Assert.True(run.ExitCode == 0, run.Stderr);
            return run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        Assert.Contains("volume", await Complete("snapcat", "array", "vo"));
        Assert.Contains("create", await Complete("snapcat", "array", "volume", ""));
        Assert.Equal(["json"], await Complete("snapcat", "--output", "j"));
        Assert.Contains("--wait", await Complete("snapcat", "backup", "run", "--"));
        // An option's value is not taken for a command.
        Assert.Contains("serve", await Complete("snapcat", "-o", "json", "server", "s"));
    }

    [Fact]
    public async Task The_man_page_lists_every_command_and_groff_reads_it_without_a_warning()
    {
        var r = await CliRun.RunAsync("manpage");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains(".TH SNAPCAT 1", r.Stdout);
        foreach (string command in new[] { "snapcat array volume create", "snapcat backup run", "snapcat server serve", "snapcat completion bash" })
            Assert.Contains(".B " + command.Replace("-", "\\-", StringComparison.Ordinal), r.Stdout);
        Assert.Contains("RestartPreventExitStatus=2", r.Stdout);
        if (!Tool.Exists("groff")) { output.WriteLine("groff is not installed: the page was not rendered"); return; }
        using var dir = new TempDir("man");
        string page = dir.Combine("snapcat.1");
        await File.WriteAllTextAsync(page, r.Stdout);
        var rendered = await Tool.RunAsync("groff", ["-man", "-Tutf8", "-ww", page], TimeSpan.FromSeconds(60));
        Assert.True(rendered.ExitCode == 0 && rendered.Stderr.Trim().Length == 0, rendered.Stderr);
        Assert.Contains("RestartPreventExitStatus=2", rendered.Stdout); // plain text (headings are overstruck)
    }
}
