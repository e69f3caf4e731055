namespace Snapcat.Contracts.Agent;

/// <summary>
/// A backup volume being read out through <c>GET /v1/streams/volume</c>: <see cref="Data"/> yields exactly
/// <see cref="Size"/> bytes, or ends early when the agent cut the connection after a read error (the agent's
/// only signal once the headers are out) — so a reader must count the bytes. Disposing closes the connection.
/// </summary>
public sealed class AgentVolumeStream(HttpResponseMessage response, Stream data, long size) : IAsyncDisposable
{
    public Stream Data { get; } = data;
    public long Size { get; } = size;

    public async ValueTask DisposeAsync()
    {
        await Data.DisposeAsync().ConfigureAwait(false);
        response.Dispose();
    }
}
