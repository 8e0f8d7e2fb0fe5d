"""CloudFormation creates the HTTP API an HTTP trigger renders, visible through ApiGatewayV2."""

from __future__ import annotations

from tests.conftest import LocalAwsHandle
from tests.local._cfn import body, final_status, outputs

ALIAS_ARN = "arn:aws:lambda:us-east-1:123456789012:function:api:live"
TEMPLATE = {
    "Resources": {
        "Http": {
            "Type": "AWS::ApiGatewayV2::Api",
            "Properties": {"Name": "shop", "ProtocolType": "HTTP"},
        },
        "Integration": {
            "Type": "AWS::ApiGatewayV2::Integration",
            "Properties": {
                "ApiId": {"Ref": "Http"},
                "IntegrationType": "AWS_PROXY",
                "IntegrationUri": ALIAS_ARN,
                "PayloadFormatVersion": "2.0",
            },
        },
        "Route": {
            "Type": "AWS::ApiGatewayV2::Route",
            "Properties": {
                "ApiId": {"Ref": "Http"},
                "RouteKey": "ANY /{proxy+}",
                "Target": {"Fn::Join": ["/", ["integrations", {"Ref": "Integration"}]]},
            },
        },
        "Stage": {
            "Type": "AWS::ApiGatewayV2::Stage",
            "Properties": {"ApiId": {"Ref": "Http"}, "StageName": "$default", "AutoDeploy": True},
        },
    },
    "Outputs": {
        "Url": {"Value": {"Fn::GetAtt": ["Http", "ApiEndpoint"]}},
        "ApiId": {"Value": {"Ref": "Http"}},
    },
}


def test_http_api_resources_exist_after_create_and_go_on_delete(local_aws: LocalAwsHandle) -> None:
    clients = local_aws.clients()
    cfn, apigw = clients.client("cloudformation"), clients.client("apigatewayv2")

    cfn.create_stack(StackName="s", TemplateBody=body(TEMPLATE))

    assert final_status(cfn, "s") == "CREATE_COMPLETE"
    out = outputs(cfn, "s")
    api = apigw.get_api(ApiId=out["ApiId"])
    assert (api["ProtocolType"], api["ApiEndpoint"]) == ("HTTP", out["Url"])
    [integration] = apigw.get_integrations(ApiId=out["ApiId"])["Items"]
    assert (integration["IntegrationUri"], integration["PayloadFormatVersion"]) == (
        ALIAS_ARN,
        "2.0",
    )
    [route] = apigw.get_routes(ApiId=out["ApiId"])["Items"]
    assert route["Target"] == f"integrations/{integration['IntegrationId']}"
    [stage] = apigw.get_stages(ApiId=out["ApiId"])["Items"]
    assert (stage["StageName"], stage["AutoDeploy"]) == ("$default", True)

    cfn.delete_stack(StackName="s")
    assert apigw.get_apis()["Items"] == []
