from tests.conftest import LocalAwsHandle


def test_embedded_aws_answers_lambda_calls(local_aws: LocalAwsHandle) -> None:
    lam = local_aws.clients().client("lambda")
    assert lam.list_functions()["Functions"] == []
