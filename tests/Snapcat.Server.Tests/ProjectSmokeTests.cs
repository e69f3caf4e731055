namespace Snapcat.Server.Tests;

public class ProjectSmokeTests
{
    [Fact]
    public void Assembly_loads() => Assert.Equal("Snapcat.Server", typeof(Snapcat.Server.AssemblyMarker).Assembly.GetName().Name);
}
