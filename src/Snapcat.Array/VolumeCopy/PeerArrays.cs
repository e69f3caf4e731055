using Snapcat.Array.Config;
using Snapcat.Core.Config;
using Snapcat.Nbd.Client;

namespace Snapcat.Array.VolumeCopy;

/// <summary>
/// The other arrays this one knows, by device ID (the configuration's <c>peers</c>), and a control API
/// client for each: FIG. 19 step 3646 sends the volume information there.
/// </summary>
public sealed class PeerArrays(IReadOnlyDictionary<string, PeerArrayConfig> peers, TimeSpan? timeout = null)
{
    public IReadOnlyCollection<string> DeviceIds => peers.Keys.ToList();

    public bool Knows(string deviceId) => peers.ContainsKey(deviceId);

    /// <summary>The TLS credentials for the peer's data ports (its "nbdTls"); null: plain NBD.</summary>
    public NbdClientTls? NbdTlsFor(string deviceId) => peers.TryGetValue(deviceId, out var peer) ? peer.NbdTlsCredentials : null;

    /// <summary>A new client of the peer (the caller disposes it); unknown device IDs are refused with the known ones listed.</summary>
    public ArrayClient Open(string deviceId) => Open(deviceId, timeout ?? TimeSpan.FromSeconds(30));

    /// <summary><see cref="Open(string)"/> with its own timeout (a digest check reads the whole volume before it answers).</summary>
    public ArrayClient Open(string deviceId, TimeSpan requestTimeout)
    {
        if (!peers.TryGetValue(deviceId, out var peer))
            Throw.Invalid("volume_copy.unknown_peer",
                $"array '{deviceId}' is not among this array's peers ({(peers.Count == 0 ? "none configured" : string.Join(", ", peers.Keys))}); " +
                "add it under \"peers\" in the array configuration with its control URL and token");
        // The loader has read a tokenFile into Token; a peer built in code without either is a bug there.
        var url = new Uri(peer.Url);
        return new ArrayClient(url, peer.Token ?? "", requestTimeout, PeerTrustSource.Load(peer, url, $"peers.{deviceId}"));
    }
}
