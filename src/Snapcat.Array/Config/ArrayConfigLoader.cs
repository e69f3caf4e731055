using Snapcat.Core.Config;
using Snapcat.Core.Security;
using Snapcat.Nbd;
using Snapcat.Nbd.Tls;

namespace Snapcat.Array.Config;

/// <summary>
/// Reads (<see cref="ConfigFile"/>) and validates the array's JSON configuration (format in
/// <see cref="ArrayConfig"/>), reporting every problem in one error.
/// </summary>
public static class ArrayConfigLoader
{
    public static LoadedArrayConfig Load(string configPath) => ConfigFile.Load<ArrayConfig, LoadedArrayConfig>(configPath, Validate);

    public static LoadedArrayConfig Validate(ArrayConfig raw, string configPath)
    {
        var problems = new List<string>();
        string baseDir = Path.GetDirectoryName(configPath) ?? ".";

        if (!InquiryDescription.IsValidDeviceId(raw.DeviceId))
            problems.Add($"deviceId '{raw.DeviceId}' is not valid: 1 to 32 characters, letters, digits, '.', '_', ':' or '-', starting with a letter or digit");

        string dataDir = "";
        if (string.IsNullOrWhiteSpace(raw.DataDirectory))
            problems.Add("dataDirectory is empty; name the folder that holds the volumes and the management table");
        else
            dataDir = Path.GetFullPath(raw.DataDirectory, baseDir);

        NbdAddress control = default;
        if (raw.Control is null)
            problems.Add("control is missing; give { \"listen\": \"127.0.0.1:8470\", \"token\": \"...\" }");
        else if (!NbdAddress.TryParse(raw.Control.Listen, out control))
            problems.Add($"control.listen '{raw.Control.Listen}' is not host:port (e.g. 127.0.0.1:8470)");

        IReadOnlyList<Credential> credentials = raw.Control is null ? []
            : CredentialSource.Read(raw.Control, baseDir, [CredentialRole.Admin, CredentialRole.Agent, CredentialRole.ReadOnly], problems,
                text => NbdAddress.TryParse(text, out var a) ? a.ToString() : null);
        // The token the CLI uses when it reads this file: the first admin credential's.
        string token = credentials.FirstOrDefault(c => c.Role == CredentialRole.Admin)?.Token ?? "";
        var tls = raw.Control is null ? null : ControlTlsSource.Read(raw.Control, "array", baseDir, problems);

        var ports = new List<NbdAddress>();
        var limits = new List<DataPortLimits>();
        var portTls = new List<DataPortTls>();
        if (raw.DataPorts is null || raw.DataPorts.Count == 0)
            problems.Add("dataPorts is empty; give at least one NBD listener, e.g. [ { \"listen\": \"127.0.0.1:10809\" } ]");
        else
        {
            for (int i = 0; i < raw.DataPorts.Count; i++)
            {
                string? text = raw.DataPorts[i]?.Listen;
                if (!NbdAddress.TryParse(text, out var a))
                    problems.Add($"dataPorts[{i}].listen '{text}' is not host:port (e.g. 127.0.0.1:10809)");
                // Port 0 asks the kernel for a free port at start (tests, the quickstart): several
                // such entries, or one beside a port-0 control API, are different ports.
                else if (a.Port != 0 && ports.Contains(a))
                    problems.Add($"dataPorts[{i}].listen {a} is listed twice");
                else if (a.Port != 0 && raw.Control is not null && control == a)
                    problems.Add($"dataPorts[{i}].listen {a} is also the control address");
                else
                {
                    ports.Add(a);
                    limits.Add(ReadLimits(raw.DataPorts[i], i, problems));
                    portTls.Add(ReadTls(raw.DataPorts[i], i, baseDir, problems));
                }
            }
        }

        var peers = new Dictionary<string, PeerArrayConfig>(StringComparer.Ordinal);
        foreach (var (name, peer) in raw.Peers ?? new Dictionary<string, PeerArrayConfig>())
        {
            if (!InquiryDescription.IsValidDeviceId(name))
                problems.Add($"peers: '{name}' is not a valid device ID");
            Uri? peerUrl = null;
            if (peer is null || !Uri.TryCreate(peer.Url, UriKind.Absolute, out peerUrl))
                problems.Add($"peers.{name}.url '{peer?.Url}' is not an absolute URL");
            if (peer is null) continue;
            string peerToken = TokenSource.Read(peer, $"peers.{name}", baseDir, problems);
            var trust = PeerTrustSource.Read(peer, peerUrl, $"peers.{name}", baseDir, problems);
            var peerTls = peer.NbdTls?.Resolve($"peers.{name}.nbdTls", baseDir, problems);
            peers[name] = peer with { Token = peerToken, TokenFile = null, CaFile = trust?.CaFile, NbdTlsCredentials = peerTls };
        }

        LoggingConfig.Check(raw.Logging, problems);

        ConfigFile.ThrowIfProblems(configPath, problems);
        return new LoadedArrayConfig(configPath, raw.DeviceId, dataDir, control, token, ports, peers)
        {
            Logging = raw.Logging,
            DataPortLimits = limits,
            ControlTls = tls,
            DataPortTls = portTls,
            Credentials = credentials,
            AuditFile = CredentialSource.AuditFile(raw.Control!, baseDir, Path.Combine(dataDir, "audit.log")),
        };
    }

    private static DataPortLimits ReadLimits(DataPortConfig port, int i, List<string> problems)
    {
        var d = DataPortLimits.Default;
        var timeout = d.HandshakeTimeout;
        if (port.HandshakeTimeoutSeconds is double s)
        {
            if (!(s > 0 && s <= 3600))
                problems.Add($"dataPorts[{i}].handshakeTimeoutSeconds {s} is not between 0 (exclusive) and 3600");
            else
                timeout = TimeSpan.FromSeconds(s);
        }
        int perPeer = d.MaxConnectionsPerPeer;
        if (port.MaxConnectionsPerPeer is int n)
        {
            if (n < 1 || n > 1024)
                problems.Add($"dataPorts[{i}].maxConnectionsPerPeer {n} is not between 1 and 1024");
            else
                perPeer = n;
        }
        return new DataPortLimits(timeout, perPeer);
    }

    /// <summary>
    /// The port's TLS mode and credentials. The files are read here, not at the first STARTTLS, so a
    /// missing key or a malformed PSK line fails the start with the port and field named.
    /// </summary>
    private static DataPortTls ReadTls(DataPortConfig port, int i, string baseDir, List<string> problems)
    {
        string at = $"dataPorts[{i}]";
        NbdTlsMode mode;
        switch (port.Tls)
        {
            case null or "off": mode = NbdTlsMode.Off; break;
            case "allow": mode = NbdTlsMode.Allow; break;
            case "require": mode = NbdTlsMode.Require; break;
            default:
                problems.Add($"{at}.tls '{port.Tls}' is not one of off, allow, require");
                return DataPortTls.Off;
        }
        bool x509 = port.CertificateFile is not null || port.KeyFile is not null;
        bool psk = port.PskFile is not null;
        if (mode == NbdTlsMode.Off)
        {
            if (x509 || psk || port.ClientCaFile is not null)
                problems.Add($"{at} names TLS files but tls is off; set \"tls\": \"require\" or \"allow\", or remove them");
            return DataPortTls.Off;
        }
        if (x509 == psk)
        {
            problems.Add(x509
                ? $"{at} has both certificateFile/keyFile and pskFile; a port uses one kind of TLS credential"
                : $"{at}.tls is {port.Tls} but no credential is given: name certificateFile and keyFile (X.509) or pskFile (PSK)");
            return DataPortTls.Off;
        }
        if (psk && port.ClientCaFile is not null)
        {
            problems.Add($"{at}.clientCaFile is for X.509; with pskFile the PSK username is the client's identity");
            return DataPortTls.Off;
        }
        try
        {
            if (psk)
                return new DataPortTls(mode, PskTlsServerCredentials.FromFile(Path.GetFullPath(port.PskFile!, baseDir)));
            if (port.CertificateFile is null || port.KeyFile is null)
            {
                problems.Add($"{at}: X.509 needs both certificateFile and keyFile");
                return DataPortTls.Off;
            }
            string? ca = port.ClientCaFile is null ? null : Path.GetFullPath(port.ClientCaFile, baseDir);
            if (ca is not null && !File.Exists(ca))
            {
                problems.Add($"{at}.clientCaFile {ca} does not exist");
                return DataPortTls.Off;
            }
            return new DataPortTls(mode, X509TlsServerCredentials.FromPemFiles(
                Path.GetFullPath(port.CertificateFile, baseDir), Path.GetFullPath(port.KeyFile, baseDir), ca));
        }
        catch (InvalidDataException e)
        {
            problems.Add($"{at}.{(psk ? "pskFile" : "certificateFile/keyFile/clientCaFile")}: {e.Message}");
            return DataPortTls.Off;
        }
    }
}
