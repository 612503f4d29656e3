using Caseline.Messages;

namespace Caseline.Server.Tests;

/// <summary>Many writers at once: every change is logged once, positions have no gaps, and the log agrees with the state.</summary>
public sealed class ConcurrencyTests(CaselineServer server) : IClassFixture<CaselineServer>
{
    [Fact]
    public async Task Fifty_concurrent_writers_on_one_client_leave_state_and_log_consistent()
    {
        var agency = CaselineServer.NewAgency();
        using var setup = await server.ForAsync(agency);
        await setup.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee"}""");

        await Task.WhenAll(Enumerable.Range(0, 50).Select(async writer =>
        {
            using var http = await server.ForAsync(agency, $"writer{writer}");
            for (var i = 0; i < 6; i++)
            {
                var response = i % 3 == 2
                    ? await http.Put("/api/v1/clients/EX1", $$"""{"FirstName":"W{{writer}}","LastName":"R{{i}}"}""")
                    : await http.Put($"/api/v1/clients/EX1/addresses/W{writer}", $$"""{"AddressType":"Home","Address":"{{writer}} Round {{i}}"}""");
                Assert.True(response.IsSuccessStatusCode);
            }
        }));

        await AssertConsistent(agency, ["EX1"]);
        var addresses = await (await setup.Get("/api/v1/clients/EX1/addresses")).Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(50, System.Text.Json.Nodes.JsonNode.Parse(addresses)!.AsArray().Count);
    }

    [Fact]
    public async Task Fifty_concurrent_writers_on_many_clients_leave_state_and_log_consistent()
    {
        var agency = CaselineServer.NewAgency();
        string[] clients = [.. Enumerable.Range(0, 50).Select(i => $"C{i}")];

        await Task.WhenAll(clients.Select(async client =>
        {
            using var http = await server.ForAsync(agency);
            await http.Put($"/api/v1/clients/{client}", """{"FirstName":"Ann","LastName":"Lee"}""");
            for (var i = 0; i < 8; i++)
            {
                var response = await http.Put($"/api/v1/clients/{client}/contacts/P{i % 3}", $$"""{"ContactType":"MobilePhone","Contact":"555-{{i}}"}""");
                Assert.True(response.IsSuccessStatusCode);
            }

            await http.Delete($"/api/v1/clients/{client}/contacts/P0");
        }));

        var log = await AssertConsistent(agency, clients);
        Assert.Equal(50 * (1 + 8 + 1), log.Count);
    }

    private async Task<List<(long Position, string ClientId, ClientMessage Message, byte[] Body)>> AssertConsistent(string agency, string[] clients)
    {
        var log = server.Log(agency);
        Assert.Equal(Enumerable.Range(1, log.Count).Select(p => (long)p), log.Select(m => m.Position));
        Assert.Equal(log.Count, log.Select(m => m.Message.Activity.Identifier).Distinct().Count());
        var occurred = log.Select(m => m.Message.Action.OccurredOn).ToList();
        Assert.Equal(occurred.Order(), occurred);

        using var http = await server.ForAsync(agency);
        foreach (var client in clients)
        {
            var stored = await (await http.Get($"/api/v1/clients/{client}")).ReadObject();
            ReplayTests.AssertSameJson(stored, ReplayTests.Replay(log.Where(m => m.ClientId == client).Select(m => m.Message), client));
        }

        return log;
    }
}
