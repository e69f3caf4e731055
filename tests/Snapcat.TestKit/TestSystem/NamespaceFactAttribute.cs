using System.Runtime.Versioning;
using Xunit;

namespace Snapcat.TestKit.TestSystem;

/// <summary>
/// A fact that needs network namespaces (<see cref="NamespaceNetwork"/>): skipped, with the reason, when the
/// test does not run as root or <c>ip netns</c> does not work here; in CI (root) it runs.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class NamespaceFactAttribute : FactAttribute
{
    public NamespaceFactAttribute()
    {
        if (NamespaceNetwork.WhyUnavailable() is { } why) Skip = why;
    }
}
