using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Snapcat.Array.Tests.Daemon;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.DataPorts;

/// <summary>
/// NBD has no authentication, so sockets that connect and never finish the handshake must not be
/// able to take every connection slot of a data port. A real array daemon, raw idle sockets from
/// 127.0.0.2 (another loopback address, so the per-peer limit tells them from the real client on
/// 127.0.0.1), and nbdinfo as the real client.
/// </summary>
public sealed partial class NbdSlotExhaustionTests
{
    private const int PerPeer = 8;
    private const int Idle = 40;

    [Fact]
    public async Task Idle_handshakes_are_limited_per_peer_closed_after_the_deadline_and_a_real_client_still_gets_in()
    {
        await using var aSystem = new SnapcatSystem();
        var a = await aSystem.StartArrayAsync("ARRAY-SLOTS", dataPortCount: 1,
            configure: n => n.DataPortOptions = new() { Listen = "", HandshakeTimeoutSeconds = 3, MaxConnectionsPerPeer = PerPeer });
        var v = await a.Client.CreateVolumeAsync("4M");
        Assert.Equal(HttpStatusCode.Created, (await a.AssignAsync(v.Number, a.DataPorts[0], 1)).StatusCode);
        var port = IPEndPoint.Parse(a.DataPorts[0]);

        var sockets = new List<Socket>();
        try
        {
            for (int i = 0; i < Idle; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(s);
                s.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
                await s.ConnectAsync(port);
            }

            // Each socket either gets the 18-byte greeting (admitted) or is closed at once (refused).
            var outcomes = await Task.WhenAll(sockets.Select(s => NbdGreeting.ReadAsync(s, TimeSpan.FromSeconds(60))));
            var admitted = sockets.Where((_, i) => outcomes[i]).ToList();
            Assert.Equal(PerPeer, admitted.Count);

            // The idle peer holds its whole share; a real client from another address still gets in.
            var info = (await Tool.RunAsync("nbdinfo", [$"nbd://{a.DataPorts[0]}/1"])).EnsureSuccess("nbdinfo while idle sockets are open");
            Assert.Contains($"volume={v.Number}", info.Stdout);

            // The admitted ones said nothing after the greeting: the handshake deadline closes them.
            await Task.WhenAll(admitted.Select(s => NbdGreeting.WaitClosedAsync(s, TimeSpan.FromSeconds(90))));

            // 32 refusals in one burst: logged once (twice at most, should the burst straddle an interval), not 32 times.
            int logged = RefusedLine().Matches(a.Process!.Output).Count;
            Assert.InRange(logged, 1, 2);
            Assert.Contains($"the per-peer limit", a.Process.Output);

            // And with the slots free again, the idle address is served like any other.
            var again = sockets[0];
            again.Dispose();
            using var fresh = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            fresh.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
            await fresh.ConnectAsync(port);
            Assert.True(await NbdGreeting.ReadAsync(fresh, TimeSpan.FromSeconds(60)), "a new connection from 127.0.0.2 after the deadline freed its slots");
        }
        finally
        {
            foreach (var s in sockets) s.Dispose();
        }
    }

    [GeneratedRegex(@"refused \d+ connection\(s\)")]
    private static partial Regex RefusedLine();
}
