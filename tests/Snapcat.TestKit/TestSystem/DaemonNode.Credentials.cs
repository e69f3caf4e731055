using System.Net.Http.Headers;
using System.Runtime.Versioning;
using Snapcat.Core.Config;
using Snapcat.Core.Security;

namespace Snapcat.TestKit.TestSystem;

/// <summary>
/// Extra named credentials of a daemon's control API, beside <see cref="DaemonNode.Token"/> (the admin credential
/// "control"). Their scope may name things known only after the first start (volume numbers, data port addresses),
/// so it is a function evaluated each time the configuration is written: declare the credential, start, and
/// restart when its scope names volumes created at the first start.
/// </summary>
[SupportedOSPlatform("linux")]
public abstract partial class DaemonNode
{
    private readonly List<CredentialSpec> _credentials = [];
    private readonly Dictionary<string, HttpClient> _httpAs = new(StringComparer.Ordinal);

    /// <summary>The credentials declared with <see cref="AddCredential"/>.</summary>
    public IReadOnlyList<CredentialSpec> Credentials => _credentials;

    /// <summary>Where the daemon writes its audit log (its default, or <see cref="AuditFile"/> when set).</summary>
    public abstract string AuditFilePath { get; }

    /// <summary>control.auditFile, relative to <see cref="Dir"/>; null: the daemon's default.</summary>
    public string? AuditFile { get; set; }

    /// <summary>A credential named <paramref name="name"/> with <paramref name="role"/> ("admin", "operator", "read-only", "agent")
    /// and a token of its own; <paramref name="scope"/> fills in volumes, luns and restorePorts of an array's agent credential.</summary>
    public CredentialSpec AddCredential(string name, string role, Func<CredentialConfig, CredentialConfig?>? scope = null)
    {
        if (_credentials.Any(c => c.Name == name)) throw new InvalidOperationException($"{Kind} {Name} already has a credential '{name}'");
        var spec = new CredentialSpec(name, role, $"test-{Kind}-{Name}-{name}-token", scope);
        _credentials.Add(spec);
        return spec;
    }

    /// <summary>The token of a credential added with <see cref="AddCredential"/>; "control" is <see cref="Token"/>.</summary>
    public string TokenOf(string credential) => credential == Credential.ControlTokenName ? Token
        : _credentials.FirstOrDefault(c => c.Name == credential)?.Token
            ?? throw new InvalidOperationException($"{Kind} {Name} has no credential '{credential}'; add it with AddCredential");

    /// <summary>An HttpClient on the control API that sends the credential's token.</summary>
    public HttpClient HttpAs(string credential)
    {
        if (_httpAs.TryGetValue(credential, out var h)) return h;
        h = new HttpClient(CreateHttpHandler()) { BaseAddress = ControlUrl, Timeout = TimeSpan.FromSeconds(60) };
        h.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TokenOf(credential));
        _httpAs[credential] = h;
        return h;
    }

    /// <summary>The control section's credentials and audit file as the configuration writes them.</summary>
    private protected IReadOnlyList<CredentialConfig>? CredentialConfigs() =>
        _credentials.Select(c => c.ToConfig()).OfType<CredentialConfig>().ToList() is { Count: > 0 } list ? list : null;

    private void DisposeCredentialClients()
    {
        foreach (var h in _httpAs.Values) h.Dispose();
        _httpAs.Clear();
    }
}

/// <summary>A named credential of a test daemon: its role, its token, and the scope written into the configuration.</summary>
public sealed record CredentialSpec(string Name, string Role, string Token, Func<CredentialConfig, CredentialConfig?>? Scope)
{
    /// <summary>The configuration entry; null while its scope cannot be written yet (before the first start).</summary>
    public CredentialConfig? ToConfig()
    {
        var c = new CredentialConfig { Name = Name, Role = Role, Token = Token };
        return Scope is null ? c : Scope(c);
    }
}
