using Caseline.Messages.Json;

namespace Caseline.Messages.Tests;

public sealed class WriterTests
{
    private static ClientMessage At(SectionDetails details, DateTimeOffset occurredOn, ChangeVerb verb = ChangeVerb.Updated) =>
        new(new ClientReference("EX1"), new MessageActivity(Guid.Parse("0190f0b4-5d2c-7c3e-8a1b-2f4e6d8c0a12"), "ClientProfile"),
            details, new MessageAction(ClientMessage.ReasonFor(details.Section, verb), occurredOn, "officer@county.org"));

    private static string DetailsJson(SectionDetails details)
    {
        var json = MessageWriter.ToJson(At(details, Samples.OccurredOn));
        var start = json.IndexOf("\"Details\":", StringComparison.Ordinal) + "\"Details\":".Length;
        var end = json.IndexOf(",\"Action\":", StringComparison.Ordinal);
        return json[start..end];
    }

    [Fact]
    public void OccurredOn_always_has_seven_fractional_digits_in_UTC()
    {
        var json = MessageWriter.ToJson(At(Samples.Email, new DateTimeOffset(2024, 3, 1, 9, 0, 0, TimeSpan.FromHours(-7))));

        Assert.Contains("\"OccurredOn\":\"2024-03-01T16:00:00.0000000Z\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_values_are_written_as_null_never_omitted()
    {
        Assert.Equal(
            """{"SubType":"Personal Details","FirstName":"Ann","LastName":"Lee","DateOfBirth":null,"TimeZone":null,"Gender":null,"Ethinicity":null,"StaticRiskRating":null,"NeedsClassification":null}""",
            DetailsJson(new PersonalDetails("Ann", "Lee", null, null, null, null, null, null)));
    }

    [Fact]
    public void Vehicle_year_is_a_four_digit_string()
    {
        Assert.Equal(
            """{"SubType":"Vehicle Details","IntegrationId":"VEH-1","Make":"Ford","Model":"F-150","Year":"2016","Color":"Blue","LicensePlate":"ABC-1234"}""",
            DetailsJson(Samples.Vehicle));
    }

    [Fact]
    public void Wage_is_a_json_number_and_the_item_id_comes_right_after_SubType()
    {
        Assert.Equal(
            """{"SubType":"Employment Details","IntegrationId":"EMP-1","Employer":"Acme Corp","Occupation":"Welder","WorkAddress":"1 Industrial Way","WorkPhone":"303-555-0199","Wage":23.75,"WageUnit":"Hour","WorkEnvironment":"Outdoor"}""",
            DetailsJson(Samples.Employment));
    }

    [Fact]
    public void A_case_carries_all_its_offenses_with_Statute_capitalised_and_booleans()
    {
        Assert.Equal(
            """{"SubType":"Case Details","IntegrationId":"2019-CR-0042","CaseNumber":"2019-CR-0042","CaseDate":"2019-01-07","Status":"Open","Offenses":["""
            + """{"Label":"Burglary","Date":"2018-12-24","Statute":"C.R.S. 18-4-203","Category":"Felony","IsPrimary":true},"""
            + """{"Label":"Trespass","Date":"2018-12-24","Statute":"C.R.S. 18-4-504","Category":"Misdemeanor","IsPrimary":false}]}""",
            DetailsJson(Samples.Case));
    }

    [Fact]
    public void A_case_without_offenses_has_an_empty_array()
    {
        Assert.Equal(
            """{"SubType":"Case Details","IntegrationId":"C1","CaseNumber":"C1","CaseDate":null,"Status":null,"Offenses":[]}""",
            DetailsJson(new CaseDetails("C1", "C1", null, null, null)));
    }

    [Fact]
    public void A_protective_order_writes_StayAwayLocation_in_the_singular()
    {
        Assert.Equal(
            """{"SubType":"Protective Order Details","IntegrationId":"PO-1","OrderType":"Restraining","EffectiveDate":"2019-02-01","ExpirationDate":"2020-02-01","ProtectedPersons":"Jane Farmer","PeacefulContact":false,"NoContact":true,"StayAwayPersons":"Jane Farmer","StayAwayLocation":"1400 Elm St","StayAwayVehicles":"Silver sedan","MoveOutAddress":"55 Oak Ave","ChildCustody":"Supervised visits only"}""",
            DetailsJson(Samples.ProtectiveOrder));
    }

    [Fact]
    public void Account_email_address_and_contact_sections_have_their_exact_shape()
    {
        Assert.Equal("""{"SubType":"Account Details","Status":"Active","AssignedCaseload":"North Caseload","AssignedOfficer":"officer@county.org"}""", DetailsJson(Samples.Account));
        Assert.Equal("""{"SubType":"Email Details","Email":"j.farmer@example.org"}""", DetailsJson(Samples.Email));
        Assert.Equal("""{"SubType":"Address Details","IntegrationId":"ADDR-1","AddressType":"Home","Address":"123 Main St, Denver, CO 80202"}""", DetailsJson(Samples.Address));
        Assert.Equal("""{"SubType":"Contact Details","IntegrationId":"PH-1","ContactType":"MobilePhone","Contact":"+1 (303) 555-0100"}""", DetailsJson(Samples.Contact));
    }

    [Fact]
    public void Non_ascii_text_is_written_as_utf8_and_quotes_are_escaped()
    {
        var json = DetailsJson(new PersonalDetails("José \"Pepe\"", "Nguyễn", null, null, null, null, null, null));

        Assert.Contains("\"FirstName\":\"José \\\"Pepe\\\"\"", json, StringComparison.Ordinal);
        Assert.Contains("\"LastName\":\"Nguyễn\"", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ChangeVerb.Created, "Address Details Created")]
    [InlineData(ChangeVerb.Updated, "Address Details Updated")]
    [InlineData(ChangeVerb.Removed, "Address Details Removed")]
    public void Create_builds_the_reason_from_the_section_and_the_verb(ChangeVerb verb, string reason)
    {
        var message = ClientMessage.Create("EX1", Samples.Address, verb, Samples.OccurredOn, "officer@county.org");

        Assert.Equal(reason, message.Action.Reason);
        Assert.Equal(verb, message.Verb);
    }

    [Fact]
    public void Create_gives_each_message_a_fresh_lower_case_version_7_identifier()
    {
        var first = ClientMessage.Create("EX1", Samples.Email, ChangeVerb.Created, Samples.OccurredOn, "u");
        var second = ClientMessage.Create("EX1", Samples.Email, ChangeVerb.Created, Samples.OccurredOn, "u");

        Assert.NotEqual(first.Activity.Identifier, second.Activity.Identifier);
        Assert.Equal(7, first.Activity.Identifier.Version);
        var json = MessageWriter.ToJson(first);
        Assert.Contains($"\"Identifier\":\"{first.Activity.Identifier:D}\"", json, StringComparison.Ordinal);
        Assert.Matches("\"Identifier\":\"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\"", json);
    }

    [Fact]
    public void The_three_ways_of_writing_give_the_same_bytes()
    {
        var message = Samples.Message(Samples.Case);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        MessageWriter.Write(buffer, message);

        Assert.Equal(MessageWriter.ToUtf8Bytes(message), buffer.WrittenSpan.ToArray());
        Assert.Equal(MessageWriter.ToJson(message), System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }
}
