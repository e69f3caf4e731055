namespace Snapcat.Nbd.Tls;

/// <summary>
/// A data port's TLS policy (NBD spec §3.12 names them NOTLS, SELECTIVETLS and FORCEDTLS).
/// The numeric values are not persisted; configs spell the mode as <c>off</c>, <c>allow</c>, <c>require</c>.
/// </summary>
public enum NbdTlsMode
{
    /// <summary>NOTLS: STARTTLS is answered ERR_POLICY and ERR_TLS_REQD is never sent.</summary>
    Off,

    /// <summary>SELECTIVETLS with every export open to plain clients: TLS is offered, not demanded.</summary>
    Allow,

    /// <summary>FORCEDTLS: every option but STARTTLS and ABORT gets ERR_TLS_REQD until TLS is up.</summary>
    Require,
}
