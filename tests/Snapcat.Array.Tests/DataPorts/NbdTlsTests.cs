using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Snapcat.Array.Config;
using Snapcat.Contracts.Array;
using Snapcat.Nbd.Protocol;
using Snapcat.Nbd.Tls;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.DataPorts;

/// <summary>
/// NBD over TLS on a real array daemon with real clients: nbdinfo and nbdcopy (libnbd, GnuTLS) and
/// qemu-img, with PSK and with X.509; the refusals (plain client on a require port, wrong key,
/// unknown user, no client certificate) change nothing; LUN masking hides a LUN from other identities.
/// </summary>
public sealed class NbdTlsTests
{
    private const long Size = 4 << 20;

    private static ArrayConfig WithPort0(ArrayConfig c, Func<DataPortConfig, DataPortConfig> tls) =>
        c with { DataPorts = c.DataPorts.Select((p, i) => i == 0 ? tls(p) : p).ToList() };

    private static string PskUri(string port, string user, uint lun, string pskFile) =>
        $"nbds://{user}@{port}/{lun}?tls-psk-file={pskFile}";

    private static async Task<byte[]> NbdcopyReadAsync(string uri, string scratch)
    {
        string file = Path.Combine(scratch, $"read-{Guid.NewGuid():N}.raw");
        (await Tool.RunAsync("nbdcopy", [uri, file])).EnsureSuccess($"nbdcopy {uri} {file}");
        var bytes = await File.ReadAllBytesAsync(file);
        File.Delete(file);
        return bytes;
    }

    [Fact]
    public async Task Psk_nbdinfo_nbdcopy_and_qemu_img_move_exact_bytes_and_the_username_is_the_identity()
    {
        await using var sys = new SnapcatSystem("nbd-tls-psk");
        string psk = sys.Dir.Combine("array.psk");
        string alice = PskKeyFile.NewLine("alice");
        await File.WriteAllLinesAsync(psk, [alice, PskKeyFile.NewLine("bob")]);
        var a = await sys.StartArrayAsync("ARRAY-PSK", configure: n =>
            n.Edit = c => WithPort0(c, p => p with { Tls = "require", PskFile = psk }));
        var v = await a.Client.CreateVolumeAsync("4M");
        await a.Client.AssignAsync(v.Number, a.DataPorts[0], 1);

        // The client's key file holds alice's line only, as a host would have it.
        string qemuDir = sys.Dir.Combine("qemu-psk");
        Directory.CreateDirectory(qemuDir);
        string clientPsk = Path.Combine(qemuDir, "keys.psk");
        await File.WriteAllTextAsync(clientPsk, alice + "\n");
        string uri = PskUri(a.DataPorts[0], "alice", 1, clientPsk);

        var info = (await Tool.RunAsync("nbdinfo", [uri])).EnsureSuccess("nbdinfo over TLS-PSK");
        Assert.Contains("with TLS", info.Stdout);
        Assert.Contains($"volume={v.Number}", info.Stdout);
        Assert.Contains("identity 'alice'", a.Output);

        var data = RandomNumberGenerator.GetBytes((int)Size);
        string src = sys.Dir.Combine("src.raw");
        await File.WriteAllBytesAsync(src, data);
        (await Tool.RunAsync("nbdcopy", [src, uri])).EnsureSuccess("nbdcopy to the LUN over TLS-PSK");
        Assert.Equal(LunData.Hash(data), LunData.Hash(await NbdcopyReadAsync(uri, sys.Dir.Path)));

        // qemu-img reads its key from DIR/keys.psk.
        string creds = $"tls-creds-psk,id=tls0,dir={qemuDir},username=alice,endpoint=client";
        string opts = $"driver=nbd,host=127.0.0.1,port={IPEndPoint.Parse(a.DataPorts[0]).Port},export=1,tls-creds=tls0";
        var qinfo = (await Tool.RunAsync("qemu-img", ["info", "--object", creds, "--image-opts", opts])).EnsureSuccess("qemu-img info over TLS-PSK");
        Assert.Contains($"virtual size: 4 MiB ({Size} bytes)", qinfo.Stdout);
        string copy = sys.Dir.Combine("qemu.raw");
        (await Tool.RunAsync("qemu-img", ["convert", "-O", "raw", "--object", creds, "--image-opts", opts, copy])).EnsureSuccess("qemu-img convert over TLS-PSK");
        Assert.Equal(LunData.Hash(data), LunData.Hash(await File.ReadAllBytesAsync(copy)));
    }

    [Fact]
    public async Task Require_port_refuses_plain_clients_wrong_keys_and_unknown_users_and_nothing_is_written()
    {
        await using var sys = new SnapcatSystem("nbd-tls-refuse");
        string psk = sys.Dir.Combine("array.psk");
        string alice = PskKeyFile.NewLine("alice");
        await File.WriteAllTextAsync(psk, alice + "\n");
        var a = await sys.StartArrayAsync("ARRAY-REFUSE", configure: n =>
            n.Edit = c => WithPort0(c, p => p with { Tls = "require", PskFile = psk }));
        var v = await a.Client.CreateVolumeAsync("4M");
        await a.Client.AssignAsync(v.Number, a.DataPorts[0], 1);
        string good = sys.Dir.Combine("alice.psk");
        await File.WriteAllTextAsync(good, alice + "\n");
        string goodUri = PskUri(a.DataPorts[0], "alice", 1, good);

        var before = RandomNumberGenerator.GetBytes((int)Size);
        string src = sys.Dir.Combine("before.raw");
        await File.WriteAllBytesAsync(src, before);
        (await Tool.RunAsync("nbdcopy", [src, goodUri])).EnsureSuccess("nbdcopy with the right key");
        string other = sys.Dir.Combine("other.raw");
        await File.WriteAllBytesAsync(other, RandomNumberGenerator.GetBytes((int)Size));

        // Plain NBD: libnbd fails, and on the wire every option before STARTTLS is ERR_TLS_REQD.
        var plain = await Tool.RunAsync("nbdinfo", [$"nbd://{a.DataPorts[0]}/1"]);
        Assert.NotEqual(0, plain.ExitCode);
        Assert.NotEqual(0, (await Tool.RunAsync("nbdcopy", [other, $"nbd://{a.DataPorts[0]}/1"])).ExitCode);
        var port = IPEndPoint.Parse(a.DataPorts[0]);
        Assert.Equal(NbdOptionReplyType.ErrTlsReqd, await RawOptionAsync(port, NbdOption.List, []));
        Assert.Equal(NbdOptionReplyType.ErrTlsReqd, await RawOptionAsync(port, NbdOption.Go, GoData("1")));
        Assert.Equal(NbdOptionReplyType.ErrTlsReqd, await RawOptionAsync(port, NbdOption.StructuredReply, []));
        Assert.Null(await RawOptionAsync(port, NbdOption.ExportName, "1"u8.ToArray()));  // §3.6: closed, no reply

        // The right username with another key: the TLS handshake fails (the Finished MACs differ).
        string wrong = sys.Dir.Combine("wrong.psk");
        await File.WriteAllTextAsync(wrong, PskKeyFile.NewLine("alice") + "\n");
        var bad = await Tool.RunAsync("nbdcopy", [other, PskUri(a.DataPorts[0], "alice", 1, wrong)]);
        Assert.NotEqual(0, bad.ExitCode);
        // A username the array does not know.
        string mallory = sys.Dir.Combine("mallory.psk");
        await File.WriteAllTextAsync(mallory, PskKeyFile.NewLine("mallory") + "\n");
        Assert.NotEqual(0, (await Tool.RunAsync("nbdcopy", [other, PskUri(a.DataPorts[0], "mallory", 1, mallory)])).ExitCode);
        Assert.NotEqual(0, (await Tool.RunAsync("nbdinfo", [PskUri(a.DataPorts[0], "mallory", 1, mallory)])).ExitCode);
        Assert.Contains("TLS handshake (psk) failed", a.Output);

        Assert.Equal(LunData.Hash(before), LunData.Hash(await NbdcopyReadAsync(goodUri, sys.Dir.Path)));
        Assert.True(a.IsRunning);
    }

    [Fact]
    public async Task X509_with_client_ca_serves_nbdcopy_and_qemu_img_and_refuses_clients_without_a_trusted_certificate()
    {
        await using var sys = new SnapcatSystem("nbd-tls-x509");
        using var pki = NbdTlsFiles.CreateCa(sys.Dir.Combine("pki"));
        using var rogue = NbdTlsFiles.CreateCa(sys.Dir.Combine("rogue"), "rogue CA");
        var (cert, key) = pki.IssueServer();
        var a = await sys.StartArrayAsync("ARRAY-X509", configure: n =>
            n.Edit = c => WithPort0(c, p => p with { Tls = "require", CertificateFile = cert, KeyFile = key, ClientCaFile = pki.CaFile }));
        var v = await a.Client.CreateVolumeAsync("4M");
        await a.Client.AssignAsync(v.Number, a.DataPorts[0], 1, null, ["CN=host-a"], default);

        string hostA = pki.ClientDir("host-a", "CN=host-a");
        string uri = $"nbds://{a.DataPorts[0]}/1?tls-certificates={hostA}";
        var data = RandomNumberGenerator.GetBytes((int)Size);
        string src = sys.Dir.Combine("src.raw");
        await File.WriteAllBytesAsync(src, data);
        (await Tool.RunAsync("nbdcopy", [src, uri])).EnsureSuccess("nbdcopy over TLS with certificates");
        Assert.Equal(LunData.Hash(data), LunData.Hash(await NbdcopyReadAsync(uri, sys.Dir.Path)));
        Assert.Contains("identity 'CN=host-a'", a.Output);

        string creds = $"tls-creds-x509,id=tls0,dir={hostA},endpoint=client";
        string opts = $"driver=nbd,host=127.0.0.1,port={IPEndPoint.Parse(a.DataPorts[0]).Port},export=1,tls-creds=tls0";
        var qinfo = (await Tool.RunAsync("qemu-img", ["info", "--object", creds, "--image-opts", opts])).EnsureSuccess("qemu-img info over TLS with certificates");
        Assert.Contains($"({Size} bytes)", qinfo.Stdout);
        string copy = sys.Dir.Combine("qemu.raw");
        (await Tool.RunAsync("qemu-img", ["convert", "-O", "raw", "--object", creds, "--image-opts", opts, copy])).EnsureSuccess("qemu-img convert over TLS with certificates");
        Assert.Equal(LunData.Hash(data), LunData.Hash(await File.ReadAllBytesAsync(copy)));

        string other = sys.Dir.Combine("other.raw");
        await File.WriteAllBytesAsync(other, RandomNumberGenerator.GetBytes((int)Size));
        // No client certificate at all: the handshake fails.
        string anonymous = pki.ClientDir("anonymous", subject: null);
        Assert.NotEqual(0, (await Tool.RunAsync("nbdcopy", [other, $"nbds://{a.DataPorts[0]}/1?tls-certificates={anonymous}"])).ExitCode);
        // A certificate with the right subject from another CA: refused too.
        string forged = rogue.ClientDir("forged", "CN=host-a", serverCa: pki);
        Assert.NotEqual(0, (await Tool.RunAsync("nbdcopy", [other, $"nbds://{a.DataPorts[0]}/1?tls-certificates={forged}"])).ExitCode);
        // A trusted certificate of another host: the masked LUN does not exist for it.
        string hostB = pki.ClientDir("host-b", "CN=host-b");
        var b = await Tool.RunAsync("nbdcopy", [other, $"nbds://{a.DataPorts[0]}/1?tls-certificates={hostB}"]);
        Assert.NotEqual(0, b.ExitCode);
        var list = (await Tool.RunAsync("nbdinfo", ["--list", $"nbds://{a.DataPorts[0]}/?tls-certificates={hostB}"])).EnsureSuccess("nbdinfo --list as host-b");
        Assert.DoesNotContain("export=\"1\"", list.Stdout);
        Assert.Contains("TLS handshake (x509) failed", a.Output);

        Assert.Equal(LunData.Hash(data), LunData.Hash(await NbdcopyReadAsync(uri, sys.Dir.Path)));
    }

    [Fact]
    public async Task Masked_lun_is_invisible_to_other_identities_and_plain_clients_survives_a_restart_and_needs_a_tls_port()
    {
        await using var sys = new SnapcatSystem("nbd-tls-mask");
        string psk = sys.Dir.Combine("array.psk");
        string alice = PskKeyFile.NewLine("alice"), bob = PskKeyFile.NewLine("bob");
        await File.WriteAllLinesAsync(psk, [alice, bob]);
        var a = await sys.StartArrayAsync("ARRAY-MASK", configure: n =>
            n.Edit = c => WithPort0(c, p => p with { Tls = "allow", PskFile = psk }));
        var open = await a.Client.CreateVolumeAsync("4M");
        var secret = await a.Client.CreateVolumeAsync("4M");
        var openLun = await a.Client.AssignAsync(open.Number, a.DataPorts[0], 1);
        var masked = await a.Client.AssignAsync(secret.Number, a.DataPorts[0], 2, null, ["alice"], default);
        Assert.Null(openLun.AllowedIdentities);
        Assert.Equal(["alice"], masked.AllowedIdentities!);

        // Port B has tls off: a masked assignment there is refused, and nothing is assigned.
        var refused = await a.PostAsync($"/v1/volumes/{secret.Number}/assignments", new AssignRequest(a.DataPorts[1], 5, null, ["alice"]));
        var e = await HttpAssert.ExpectErrorAsync(refused, 400);
        Assert.Equal("lun.masking_needs_tls", e.Code);
        Assert.Contains(a.DataPorts[1], e.Message);
        Assert.DoesNotContain((await a.Client.GetVolumeAsync(secret.Number)).Assignments, x => x.Port == a.DataPorts[1]);

        string alicePsk = sys.Dir.Combine("alice.psk"), bobPsk = sys.Dir.Combine("bob.psk");
        await File.WriteAllTextAsync(alicePsk, alice + "\n");
        await File.WriteAllTextAsync(bobPsk, bob + "\n");
        var data = RandomNumberGenerator.GetBytes((int)Size);
        string src = sys.Dir.Combine("src.raw");
        await File.WriteAllBytesAsync(src, data);
        (await Tool.RunAsync("nbdcopy", [src, PskUri(a.DataPorts[0], "alice", 2, alicePsk)])).EnsureSuccess("alice writes her masked LUN");

        await a.StopAsync();
        await a.RestartAsync();
        Assert.Equal(["alice"], (await a.Client.GetVolumeAsync(secret.Number)).Assignments.Single().AllowedIdentities!);

        async Task AssertHiddenAsync(string who, string uriOf2, string listUri)
        {
            var list = (await Tool.RunAsync("nbdinfo", ["--list", listUri])).EnsureSuccess($"nbdinfo --list as {who}");
            Assert.Contains("export=\"1\"", list.Stdout);
            Assert.DoesNotContain("export=\"2\"", list.Stdout);
            var go = await Tool.RunAsync("nbdinfo", [uriOf2]);
            Assert.NotEqual(0, go.ExitCode);
            Assert.Contains("No such file", go.Stderr);  // NBD_REP_ERR_UNKNOWN, as for a LUN that is not assigned
            string other = Path.Combine(sys.Dir.Path, $"{who}.raw");
            await File.WriteAllBytesAsync(other, RandomNumberGenerator.GetBytes((int)Size));
            Assert.NotEqual(0, (await Tool.RunAsync("nbdcopy", [other, uriOf2])).ExitCode);
        }
        await AssertHiddenAsync("bob", PskUri(a.DataPorts[0], "bob", 2, bobPsk), PskUri(a.DataPorts[0], "bob", 1, bobPsk));
        await AssertHiddenAsync("plain", $"nbd://{a.DataPorts[0]}/2", $"nbd://{a.DataPorts[0]}/1");

        var mine = (await Tool.RunAsync("nbdinfo", ["--list", PskUri(a.DataPorts[0], "alice", 1, alicePsk)])).EnsureSuccess("nbdinfo --list as alice");
        Assert.Contains("export=\"2\"", mine.Stdout);
        Assert.Equal(LunData.Hash(data), LunData.Hash(await NbdcopyReadAsync(PskUri(a.DataPorts[0], "alice", 2, alicePsk), sys.Dir.Path)));
    }

    [Fact]
    public void Config_errors_name_the_port_and_the_field()
    {
        using var dir = new TempDir("nbd-tls-config");
        string psk = dir.Combine("ok.psk");
        File.WriteAllText(psk, PskKeyFile.NewLine("alice") + "\n");
        File.WriteAllText(dir.Combine("bad.psk"), "alice:nothex\n");
        string Problems(params DataPortConfig[] ports)
        {
            var raw = new ArrayConfig
            {
                DeviceId = "ARRAY-CFG",
                DataDirectory = "data",
                Control = new ControlEndpointConfig { Listen = "127.0.0.1:8470", Token = "t", Insecure = true },
                DataPorts = ports,
            };
            return Assert.ThrowsAny<Exception>(() => ArrayConfigLoader.Validate(raw, dir.Combine("array.json"))).Message;
        }

        Assert.Contains("dataPorts[0].tls 'maybe' is not one of off, allow, require",
            Problems(new DataPortConfig { Listen = "127.0.0.1:1", Tls = "maybe" }));
        Assert.Contains("dataPorts[1].tls is require but no credential is given",
            Problems(new DataPortConfig { Listen = "127.0.0.1:1" }, new DataPortConfig { Listen = "127.0.0.1:2", Tls = "require" }));
        Assert.Contains("dataPorts[0] has both certificateFile/keyFile and pskFile",
            Problems(new DataPortConfig { Listen = "127.0.0.1:1", Tls = "allow", PskFile = psk, CertificateFile = "c", KeyFile = "k" }));
        var badPsk = Problems(new DataPortConfig { Listen = "127.0.0.1:1", Tls = "require", PskFile = "bad.psk" });
        Assert.Contains("dataPorts[0].pskFile", badPsk);
        Assert.Contains("line 1", badPsk);
        Assert.Contains("dataPorts[0].certificateFile/keyFile/clientCaFile",
            Problems(new DataPortConfig { Listen = "127.0.0.1:1", Tls = "require", CertificateFile = "missing.crt", KeyFile = "missing.key" }));
        Assert.Contains("dataPorts[0] names TLS files but tls is off",
            Problems(new DataPortConfig { Listen = "127.0.0.1:1", PskFile = psk }));

        var ok = ArrayConfigLoader.Validate(new ArrayConfig
        {
            DeviceId = "ARRAY-CFG",
            DataDirectory = "data",
            Control = new ControlEndpointConfig { Listen = "127.0.0.1:8470", Token = "t", Insecure = true },
            DataPorts = [new DataPortConfig { Listen = "127.0.0.1:1", Tls = "require", PskFile = "ok.psk" }, new DataPortConfig { Listen = "127.0.0.1:2" }],
        }, dir.Combine("array.json"));
        Assert.Equal(NbdTlsMode.Require, ok.DataPortTls[0].Mode);
        Assert.IsType<PskTlsServerCredentials>(ok.DataPortTls[0].Credentials);
        Assert.Equal(DataPortTls.Off, ok.DataPortTls[1]);
    }

    private static byte[] GoData(string name)
    {
        var n = System.Text.Encoding.UTF8.GetBytes(name);
        var b = new byte[4 + n.Length + 2];
        BinaryPrimitives.WriteUInt32BigEndian(b, (uint)n.Length);
        n.CopyTo(b, 4);
        return b;
    }

    /// <summary>Greets, sends one option in the clear and returns the reply type; null when the server closed instead.</summary>
    private static async Task<NbdOptionReplyType?> RawOptionAsync(IPEndPoint port, NbdOption option, byte[] data)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(port);
        var s = tcp.GetStream();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var greeting = new byte[18];
        await s.ReadExactlyAsync(greeting, cts.Token);
        Assert.Equal(NbdMagic.IHaveOpt, BinaryPrimitives.ReadUInt64BigEndian(greeting.AsSpan(8)));
        var msg = new byte[4 + NbdOptionRequest.Size + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(msg, 3);  // FIXED_NEWSTYLE | NO_ZEROES
        new NbdOptionRequest((uint)option, (uint)data.Length).Write(msg.AsSpan(4));
        data.CopyTo(msg, 4 + NbdOptionRequest.Size);
        await s.WriteAsync(msg, cts.Token);
        var header = new byte[NbdOptionReply.Size];
        int got = 0;
        while (got < header.Length)
        {
            int n;
            try { n = await s.ReadAsync(header.AsMemory(got), cts.Token); }
            catch (IOException) { n = 0; }
            if (n == 0)
            {
                if (got == 0) return null;
                throw new EndOfStreamException("the option reply was cut short");
            }
            got += n;
        }
        var reply = NbdOptionReply.Parse(header);
        Assert.Equal((uint)option, reply.Option);
        return reply.Type;
    }
}
