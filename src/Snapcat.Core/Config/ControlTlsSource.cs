using Snapcat.Core.Errors;
using Snapcat.Core.Tls;

namespace Snapcat.Core.Config;

/// <summary>
/// Reads the TLS part of a daemon's <c>control</c> section (<see cref="ControlListenerConfig"/>): HTTPS from PEM files,
/// or plain HTTP only when the file says <c>"insecure": true</c>. A section with neither is refused, so that a
/// forgotten certificate never means a clear-text control API.
/// </summary>
public static class ControlTlsSource
{
    /// <param name="daemon">array, agent or server: the <c>snapcat init</c> command the message suggests.</param>
    /// <returns>The files to serve HTTPS with; null for plain HTTP or after adding a problem.</returns>
    public static ControlTls? Read(ControlListenerConfig control, string daemon, string baseDir, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(control);
        ArgumentNullException.ThrowIfNull(problems);
        if (control.Tls is null)
        {
            if (!control.Insecure)
                problems.Add("control has no tls; the control API serves HTTPS only. Run 'snapcat init " + daemon + " --dir DIR' to write a key, " +
                    "a certificate and a starting configuration, or add \"tls\": { \"certificateFile\": \"control.crt\", \"keyFile\": \"control.key\" } " +
                    "to control, or set \"insecure\": true in control for plain HTTP on a trusted network");
            return null;
        }
        if (control.Insecure)
        {
            problems.Add("control: give either tls or \"insecure\": true, not both");
            return null;
        }
        var t = control.Tls;
        if (string.IsNullOrWhiteSpace(t.CertificateFile) || string.IsNullOrWhiteSpace(t.KeyFile))
        {
            problems.Add("control.tls needs both certificateFile and keyFile (PEM files)");
            return null;
        }
        var tls = new ControlTls(Path.GetFullPath(t.CertificateFile, baseDir), Path.GetFullPath(t.KeyFile, baseDir));
        try
        {
            using var _ = tls.Load();
        }
        catch (SnapcatException ex)
        {
            problems.Add(ex.Message);
            return null;
        }
        return tls;
    }
}
