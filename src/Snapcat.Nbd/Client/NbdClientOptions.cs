namespace Snapcat.Nbd.Client;

public sealed record NbdClientOptions
{
    /// <summary>How long the TCP connect may take before the data port counts as unreachable.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Bound on the whole option haggling, so a silent or stuck server cannot hold a caller forever.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Ask for structured replies (needed for holes in READ replies and for BLOCK_STATUS).</summary>
    public bool StructuredReplies { get; init; } = true;

    /// <summary>
    /// Skip NBD_OPT_GO and enter transmission with NBD_OPT_EXPORT_NAME, as old servers require.
    /// The client falls back to it by itself when GO is answered ERR_UNSUP; this forces it.
    /// </summary>
    public bool ForceExportName { get; init; }

    /// <summary>
    /// TLS for this connection. Null (the default): plain NBD, as before TLS existed. Set: TLS is
    /// required — NBD_OPT_STARTTLS right after the greeting, and a server that does not offer TLS is
    /// an error, never a silent fall back to plain text (spec §3.12, "FORCEDTLS" from the client's side).
    /// </summary>
    public NbdClientTls? Tls { get; init; }
}
