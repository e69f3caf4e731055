namespace Snapcat.Nbd.Tls;

/// <summary>
/// What a data port runs after it has answered NBD_OPT_STARTTLS with ACK: the server side of a TLS
/// handshake on the connection's socket, and the client's identity that LUN masking checks.
/// </summary>
public interface INbdTlsServerCredentials
{
    /// <summary>"x509" or "psk", for logs and errors.</summary>
    string Kind { get; }

    /// <summary>
    /// Runs the server handshake over <paramref name="transport"/> and returns the encrypted stream.
    /// Any failure (bad key, unknown user, missing or untrusted certificate) throws an
    /// <see cref="IOException"/> or <see cref="System.Security.Authentication.AuthenticationException"/>;
    /// the connection is then dropped. Disposing the returned stream disposes the transport.
    /// </summary>
    Task<NbdTlsSession> AuthenticateAsync(Stream transport, CancellationToken ct);
}

/// <param name="Stream">Application data after the handshake.</param>
/// <param name="Identity">The PSK username, or the client certificate's subject; null when the client showed none.</param>
/// <param name="Description">Protocol version and cipher suite, for the log.</param>
public sealed record NbdTlsSession(Stream Stream, string? Identity, string Description);
