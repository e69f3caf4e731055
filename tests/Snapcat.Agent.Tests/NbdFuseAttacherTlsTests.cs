using Snapcat.Agent.Attach;
using Snapcat.Core.Errors;
using Snapcat.Nbd;
using Snapcat.Nbd.Client;
using Snapcat.Nbd.Tls;
using Snapcat.TestKit;

namespace Snapcat.Agent.Tests;

/// <summary>
/// File restore's attach with TLS, as the agent does it: nbdfuse gets an nbds:// URI with the agent's
/// credential files, against a qemu-nbd that only serves TLS clients (PSK, and X.509 verifying the
/// client's certificate). Needs root, /dev/fuse and the tools; otherwise the test says why it did nothing.
/// </summary>
public class NbdFuseAttacherTlsTests
{
    private const long Size = 32 * 1024 * 1024;

    private static string? WhyUnavailable()
    {
        if (Environment.UserName != "root") return "needs root for mount";
        if (!File.Exists("/dev/fuse")) return "needs /dev/fuse";
        foreach (string t in new[] { "qemu-nbd", "nbdinfo", "nbdfuse", "fusermount3", "mke2fs", "fsck.ext4", "mount", "umount" })
            if (!Tool.Exists(t)) return $"needs {t}";
        return null;
    }

    private static async Task<string> ImageAsync(TempDir dir)
    {
        string content = dir.Combine("content");
        Directory.CreateDirectory(content);
        File.WriteAllText(Path.Combine(content, "secret.txt"), "only over TLS");
        string image = dir.Combine("volume.img");
        (await Tool.RunAsync("mke2fs", ["-q", "-F", "-t", "ext4", "-d", content, image, "32M"])).EnsureSuccess("mke2fs");
        return image;
    }

    /// <summary>qemu-nbd with TLS required (it answers ERR_TLS_REQD to plain clients), export "7" read-only.</summary>
    private static async Task<(ChildProcess Server, NbdAddress Address)> ServeAsync(string image, string tlsObject, NbdClientTls tls, string? certs)
    {
        int port = FreePort.Next();
        var server = ChildProcess.Start("qemu-nbd", ["-f", "raw", "-r", "--persistent", "-x", "7", "-b", "127.0.0.1", "-p", port.ToString(),
            "--object", tlsObject, "--tls-creds", "tls0", image]);
        var address = new NbdAddress("127.0.0.1", port);
        Tool.Result? last = null;
        try
        {
            await Poll.UntilAsync(async () => (last = await Tool.RunAsync("nbdinfo", ["--size", NbdToolUri.For(address, "7", tls, certs)])).ExitCode == 0,
                TimeSpan.FromSeconds(20), "qemu-nbd to serve over TLS");
        }
        catch (TimeoutException ex)
        {
            await server.DisposeAsync();
            throw new TimeoutException($"{ex.Message}\nserver (exited: {server.HasExited}): {server.Output}\nnbdinfo: {last?.Stderr}", ex);
        }
        return (server, address);
    }

    private static async Task AttachReadDetachAsync(TempDir dir, NbdAddress address, NbdClientTls tls)
    {
        var log = new LogList();
        var request = new AttachRequest(address, "7", dir.Combine("mnt"), dir.Combine("work"), Size) { Tls = tls };
        var attachment = await new NbdFuseAttacher().AttachAsync(request, log.Sink, default);
        try
        {
            Assert.Equal("only over TLS", File.ReadAllText(Path.Combine(request.MountDirectory, "secret.txt")));
            Assert.Contains(log.Lines, l => l.Contains("nbds://127.0.0.1", StringComparison.Ordinal));
        }
        finally
        {
            await attachment.DetachAsync(log.Sink);
        }
        Assert.False(MountTable.IsMountPoint(request.MountDirectory));
        Assert.False(Directory.Exists(Path.Combine(request.WorkDirectory, "tls")), "the copy of the client key must go with the attachment");
    }

    [Fact]
    public async Task Attach_through_nbdfuse_with_tls_psk_mounts_and_reads()
    {
        string? why = WhyUnavailable();
        if (why is not null) { Console.WriteLine($"SKIPPED TLS attach test: {why}"); return; }
        using var dir = new TempDir("attachtls");
        string image = await ImageAsync(dir);
        Directory.CreateDirectory(dir.Combine("qemu"));
        string keys = NbdTlsMaterial.WritePskFile(dir.Combine("qemu", "keys.psk"), "db-01");
        var tls = NbdClientTls.Psk("db-01", PskKeyFile.ReadKey(keys, "db-01")) with { PskFile = keys };
        var (server, address) = await ServeAsync(image, $"tls-creds-psk,id=tls0,endpoint=server,dir={dir.Combine("qemu")}", tls, null);
        await using var _ = server;

        await AttachReadDetachAsync(dir, address, tls);

        // A key the server does not hold: nbdfuse cannot connect, and the attach undoes itself.
        string wrong = NbdTlsMaterial.WritePskFile(dir.Combine("wrong.psk"), "db-01");
        var bad = NbdClientTls.Psk("db-01", PskKeyFile.ReadKey(wrong, "db-01")) with { PskFile = wrong };
        var log = new LogList();
        var request = new AttachRequest(address, "7", dir.Combine("mnt2"), dir.Combine("work2"), Size) { Tls = bad };
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => new NbdFuseAttacher().AttachAsync(request, log.Sink, default));
        Assert.Equal("attach.nbdfuse_failed", ex.Code);
        Assert.False(MountTable.IsMountPoint(Path.Combine(request.WorkDirectory, "fuse")));
        Assert.False(MountTable.IsMountPoint(request.MountDirectory));
    }

    [Fact]
    public async Task Attach_through_nbdfuse_with_x509_and_a_client_certificate_mounts_and_reads()
    {
        string? why = WhyUnavailable();
        if (why is not null) { Console.WriteLine($"SKIPPED TLS attach test: {why}"); return; }
        using var dir = new TempDir("attachtls");
        string image = await ImageAsync(dir);
        var m = NbdTlsMaterial.Create(dir.Combine("pki"), "db-01");
        var tls = NbdClientTls.X509([m.Ca], null, m.ClientCertificate) with { CaFile = m.CaFile, CertificateFile = m.ClientCertificateFile, KeyFile = m.ClientKeyFile };
        string probeCerts = dir.Combine("probe-certs");
        NbdToolUri.WriteCertificateDirectory(tls, probeCerts);
        var (server, address) = await ServeAsync(image, $"tls-creds-x509,id=tls0,endpoint=server,verify-peer=on,dir={m.ServerDirectory}", tls, probeCerts);
        await using var _ = server;

        await AttachReadDetachAsync(dir, address, tls);
    }
}
