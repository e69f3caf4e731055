using System.Text.Json;
using Snapcat.Core.Config;
using Snapcat.Core.Errors;
using Snapcat.Nbd;

namespace Snapcat.Array.Config;

/// <summary>
/// Reads and validates the array's JSON configuration (format in <see cref="ArrayConfig"/>). Like fsck,
/// it reports every problem it finds in one error, so an administrator fixes the file in one go.
/// </summary>
public static class ArrayConfigLoader
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        RespectRequiredConstructorParameters = true,
    };

    public static LoadedArrayConfig Load(string configPath)
    {
        string full = Path.GetFullPath(configPath);
        if (!File.Exists(full))
            Throw.Invalid("config.not_found", $"configuration file {full} does not exist");

        ArrayConfig? raw;
        try
        {
            raw = JsonSerializer.Deserialize<ArrayConfig>(File.ReadAllText(full), Json);
        }
        catch (JsonException ex)
        {
            // "required" members missing also land here, with the member names in the message.
            throw new SnapcatException(ErrorKind.Invalid, "config.invalid", $"configuration {full} is not valid: {ex.Message}", ex);
        }
        if (raw is null)
            Throw.Invalid("config.invalid", $"configuration {full} is empty (null)");
        return Validate(raw, full);
    }

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

        string token = ReadToken(raw.Control, baseDir, problems);

        var ports = new List<NbdAddress>();
        var limits = new List<DataPortLimits>();
        if (raw.DataPorts is null || raw.DataPorts.Count == 0)
            problems.Add("dataPorts is empty; give at least one NBD listener, e.g. [ { \"listen\": \"127.0.0.1:10809\" } ]");
        else
        {
            for (int i = 0; i < raw.DataPorts.Count; i++)
            {
                string? text = raw.DataPorts[i]?.Listen;
                if (!NbdAddress.TryParse(text, out var a))
                    problems.Add($"dataPorts[{i}].listen '{text}' is not host:port (e.g. 127.0.0.1:10809)");
                else if (ports.Contains(a))
                    problems.Add($"dataPorts[{i}].listen {a} is listed twice");
                else if (raw.Control is not null && control == a)
                    problems.Add($"dataPorts[{i}].listen {a} is also the control address");
                else
                {
                    ports.Add(a);
                    limits.Add(ReadLimits(raw.DataPorts[i], i, problems));
                }
            }
        }

        var peers = new Dictionary<string, PeerArrayConfig>(StringComparer.Ordinal);
        foreach (var (name, peer) in raw.Peers ?? new Dictionary<string, PeerArrayConfig>())
        {
            if (!InquiryDescription.IsValidDeviceId(name))
                problems.Add($"peers: '{name}' is not a valid device ID");
            if (peer is null || !Uri.TryCreate(peer.Url, UriKind.Absolute, out _))
                problems.Add($"peers.{name}.url '{peer?.Url}' is not an absolute URL");
            if (peer is null) continue;
            string peerToken = TokenSource.Read(peer.Token, peer.TokenFile, $"peers.{name}", baseDir, problems);
            peers[name] = peer with { Token = peerToken, TokenFile = null };
        }

        if (problems.Count > 0)
            Throw.Invalid("config.invalid", $"configuration {configPath} has {problems.Count} problem(s):\n  - " + string.Join("\n  - ", problems));

        return new LoadedArrayConfig(configPath, raw.DeviceId, dataDir, control, token, ports, peers) { DataPortLimits = limits };
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

    private static string ReadToken(ControlEndpointConfig? control, string baseDir, List<string> problems) =>
        control is null ? "" : TokenSource.Read(control.Token, control.TokenFile, "control", baseDir, problems);
}
