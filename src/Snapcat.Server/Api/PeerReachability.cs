namespace Snapcat.Server.Api;

/// <summary>
/// Issue 15.10: <c>GET /v1/server</c> asks every array and agent of the configuration for itself, all at once
/// with a short timeout each, so that an array that is down is shown as down — with the reason — instead
/// of being listed as if all were well. An array that answers with another device ID is reported too:
/// the configuration points at the wrong array, and the server would write to it.
/// </summary>
public static class PeerReachability
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static async Task<IReadOnlyList<PeerStatusDto>> ProbeAsync(ServerRuntime rt, CancellationToken ct)
    {
        var arrays = rt.Remotes.DeviceIds.Order(StringComparer.Ordinal).Select(id => ProbeOneAsync("array", id, async c =>
        {
            var client = rt.Remotes.ArrayFor(id);
            var info = await client.GetArrayAsync(c).ConfigureAwait(false);
            return (client.BaseUrl, info.DeviceId == id ? null : $"answers as array '{info.DeviceId}', not '{id}'; check its url in server.json",
                $"{info.VolumeCount} volume(s), version {info.Version}");
        }, ct));
        var agents = rt.Remotes.Hosts.Order(StringComparer.Ordinal).Select(host => ProbeOneAsync("agent", host, async c =>
        {
            var client = rt.Remotes.AgentFor(host);
            var info = await client.GetAgentAsync(c).ConfigureAwait(false);
            return (client.BaseUrl, info.Host == host ? null : $"answers as host '{info.Host}', not '{host}'; check its url in server.json",
                $"{info.Volumes.Count} protected volume(s), hooks: {(info.Hooks.Count == 0 ? "none" : string.Join(", ", info.Hooks))}");
        }, ct));
        return await Task.WhenAll(arrays.Concat(agents)).ConfigureAwait(false);
    }

    private static async Task<PeerStatusDto> ProbeOneAsync(string kind, string name,
        Func<CancellationToken, Task<(Uri Url, string? Mismatch, string Detail)>> ask, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        try
        {
            var (url, mismatch, detail) = await ask(timeout.Token).ConfigureAwait(false);
            return new PeerStatusDto(kind, name, url.ToString(), mismatch is null, mismatch, detail);
        }
        catch (SnapcatException ex)
        {
            return new PeerStatusDto(kind, name, null, false, $"{ex.Message} ({ex.Code})", null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new PeerStatusDto(kind, name, null, false, $"no answer within {Timeout.TotalSeconds:0} s", null);
        }
        catch (HttpRequestException ex)
        {
            return new PeerStatusDto(kind, name, null, false, ex.Message, null);
        }
    }
}
