namespace Snapcat.Core.Config;

/// <summary>
/// The bearer token of a control or remote endpoint in any of the three daemons' configurations: inline
/// (<c>"token"</c>) or in a file (<c>"tokenFile"</c>, relative to the configuration's folder). Read with
/// <see cref="TokenSource"/>; after loading, <see cref="Token"/> holds the token even when a file named it.
/// </summary>
public abstract record BearerTokenConfig
{
    public string? Token { get; init; }
    public string? TokenFile { get; init; }
}
