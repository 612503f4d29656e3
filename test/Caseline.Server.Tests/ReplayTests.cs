using System.Net;
using System.Text.Json.Nodes;
using Caseline.Messages;
using Caseline.Messages.Json;

namespace Caseline.Server.Tests;

/// <summary>The log is the truth: replaying a client's messages rebuilds its profile, now and at every earlier instant.</summary>
public sealed class ReplayTests(CaselineServer server) : IClassFixture<CaselineServer>
{
    internal static ClientProfile Replay(IEnumerable<ClientMessage> messages, string clientId)
    {
        var state = new Dictionary<(Section, string), SectionDetails?>();
        foreach (var message in messages)
        {
            state[(message.Details.Section, (message.Details as ItemDetails)?.IntegrationId ?? "")] =
                message.Verb == ChangeVerb.Removed ? null : message.Details;
        }

        return ClientProfile.FromSections(clientId, state.Values.OfType<SectionDetails>());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Replaying_random_operations_rebuilds_the_profile_now_and_as_of_each_earlier_instant(int seed)
    {
        var random = new Random(seed);
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        var snapshots = new List<(int LogLength, string Profile)>();

        for (var step = 0; step < 60; step++)
        {
            var response = await RandomOperation(http, random);
            Assert.True(response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotFound, $"step {step}: {(int)response.StatusCode}");
            var current = await http.Get("/api/v1/clients/EX1");
            if (current.IsSuccessStatusCode)
            {
                snapshots.Add((server.Log(agency).Count, await current.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)));
            }
        }

        var log = server.Log(agency);
        var profile = await (await http.Get("/api/v1/clients/EX1")).ReadObject();
        AssertSameJson(profile, Replay(log.Select(m => m.Message), "EX1"));

        var checkedInstants = 0;
        foreach (var (length, expected) in snapshots.Where(s => s.LogLength > 0))
        {
            var instant = log[length - 1].Message.Action.OccurredOn;
            if (length < log.Count && log[length].Message.Action.OccurredOn == instant)
            {
                continue; // the next change committed in the same instant: "as of" cannot tell them apart
            }

            var asOf = await http.Get($"/api/v1/clients/EX1?asOf={Uri.EscapeDataString(instant.ToString("O", System.Globalization.CultureInfo.InvariantCulture))}");
            Assert.Equal(expected, await asOf.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            checkedInstants++;
        }

        Assert.True(checkedInstants > 10, $"only {checkedInstants} instants could be checked");
        var before = log[0].Message.Action.OccurredOn.AddTicks(-1);
        await (await http.Get($"/api/v1/clients/EX1?asOf={Uri.EscapeDataString(before.ToString("O", System.Globalization.CultureInfo.InvariantCulture))}")).Problem(404);
    }

    internal static void AssertSameJson(JsonNode stored, ClientProfile replayed)
    {
        var expected = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(replayed, MessageJsonContext.Default.ClientProfile));
        Assert.True(JsonNode.DeepEquals(expected, stored), $"stored {stored.ToJsonString()}\nreplayed {expected!.ToJsonString()}");
    }

    private static async Task<HttpResponseMessage> RandomOperation(HttpClient http, Random random)
    {
        string Pick(params string[] values) => values[random.Next(values.Length)];
        var item = $"I{random.Next(4)}";
        return random.Next(9) switch
        {
            0 => await http.Put("/api/v1/clients/EX1", $$"""{"FirstName":"{{Pick("Ann", "Anne", "Zoë")}}","LastName":"{{Pick("Lee", "Nguyễn")}}","Gender":{{Pick("null", "\"Female\"")}}}"""),
            1 => await http.Put("/api/v1/clients/EX1", $$"""{"Status":"{{Pick("Active", "Inactive")}}","AssignedOfficer":"{{Pick("o1", "o2")}}"}"""),
            2 => await http.Put("/api/v1/clients/EX1", $$"""{"Email":{{Pick("null", "\"a@b.co\"", "\"c@d.org\"")}}}"""),
            3 => await http.Put($"/api/v1/clients/EX1/addresses/{item}", $$"""{"AddressType":"{{Pick("Home", "Work")}}","Address":"{{Pick("1 Main", "2 Elm")}}"}"""),
            4 => await http.Delete($"/api/v1/clients/EX1/addresses/{item}"),
            5 => await http.Put($"/api/v1/clients/EX1/cases/{item}", $$"""{"CaseNumber":"{{item}}","Offenses":[{"Label":"{{Pick("Theft", "Fraud")}}","IsPrimary":{{Pick("true", "false")}}}]}"""),
            6 => await http.Delete($"/api/v1/clients/EX1/cases/{item}"),
            7 => await http.Put($"/api/v1/clients/EX1/employers/{item}", $$"""{"Employer":"Acme","Wage":{{Pick("10", "12.5", "12.50")}}}"""),
            _ => await http.Put($"/api/v1/clients/EX1/protectiveOrders/{item}", $$"""{"OrderType":"Stay away","NoContact":{{Pick("true", "false")}}}"""),
        };
    }
}
