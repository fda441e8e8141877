"""Network interfaces and instances as Terraform's aws_network_interface* and aws_instance use
them: several interfaces per instance, attach/detach, attributes, filters, the instance state
machine, and the reads aws_instance makes (boto3 and the aws CLI)."""
import base64
import itertools

import botocore.exceptions
import pytest

_blocks = itertools.count(40)


def expect(code, fn, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kwargs)
    assert e.value.response["Error"]["Code"] == code, e.value.response["Error"]


@pytest.fixture
def net(ec2, uniq):
    """A VPC of this test's own with one subnet in us-east-1a and two groups."""
    n = next(_blocks)
    vpc = ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{n}.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    other = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{n}.2.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    web = ec2.create_security_group(GroupName=f"web-{uniq}", Description="d", VpcId=vpc)["GroupId"]
    db = ec2.create_security_group(GroupName=f"db-{uniq}", Description="d", VpcId=vpc)["GroupId"]
    return {"n": n, "vpc": vpc, "subnet": subnet, "other": other, "web": web, "db": db}


def run(ec2, net, **kwargs):
    args = dict(ImageId="ami-0123456789abcdef0", InstanceType="t3.micro", MinCount=1, MaxCount=1)
    args.update(kwargs)
    return ec2.run_instances(**args)["Instances"][0]


def enis(ec2, name, *values):
    return sorted(e["NetworkInterfaceId"] for e in ec2.describe_network_interfaces(
        Filters=[{"Name": name, "Values": list(values)}])["NetworkInterfaces"])


def test_run_instances_with_two_interfaces(ec2, net):
    n = net["n"]
    i = run(ec2, net, UserData="#!/bin/sh\necho hi\n", KeyName="lab",
            NetworkInterfaces=[
                {"DeviceIndex": 0, "SubnetId": net["subnet"], "Groups": [net["web"]], "PrivateIpAddress": f"10.{n}.1.10"},
                {"DeviceIndex": 1, "SubnetId": net["subnet"], "Groups": [net["db"]], "Description": "second"},
            ],
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "lab"}]},
                               {"ResourceType": "network-interface", "Tags": [{"Key": "lab", "Value": str(n)}]}])
    assert i["State"] == {"Code": 0, "Name": "pending"}
    iid = i["InstanceId"]
    d = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert d["State"]["Name"] == "running"
    assert d["PrivateIpAddress"] == f"10.{n}.1.10"
    assert d["PrivateDnsName"] == f"ip-10-{n}-1-10.ec2.internal"
    assert d["Placement"]["AvailabilityZone"] == "us-east-1a"
    assert d["KeyName"] == "lab" and d["SourceDestCheck"] is True
    assert [g["GroupId"] for g in d["SecurityGroups"]] == [net["web"]], "the primary interface's groups"
    nics = sorted(d["NetworkInterfaces"], key=lambda x: x["Attachment"]["DeviceIndex"])
    assert [x["Attachment"]["DeviceIndex"] for x in nics] == [0, 1]
    assert all(x["Attachment"]["DeleteOnTermination"] for x in nics)
    assert nics[1]["Description"] == "second"
    ids = sorted(x["NetworkInterfaceId"] for x in nics)
    assert enis(ec2, "tag:lab", str(n)) == ids
    assert enis(ec2, "attachment.instance-id", iid) == ids
    assert nics[1]["NetworkInterfaceId"] in enis(ec2, "attachment.device-index", "1")
    ud = ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")["UserData"]["Value"]
    assert base64.b64decode(ud) == b"#!/bin/sh\necho hi\n"
    t = ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"][0]
    assert t["CurrentState"]["Name"] == "shutting-down" and t["PreviousState"]["Name"] == "running"
    d = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert d["State"]["Name"] == "terminated"
    assert enis(ec2, "attachment.instance-id", iid) == []


def test_attach_detach_and_attributes(ec2, net):
    i = run(ec2, net, SubnetId=net["subnet"], SecurityGroupIds=[net["web"]])
    iid = i["InstanceId"]
    eni = ec2.create_network_interface(SubnetId=net["subnet"], Groups=[net["db"]], Description="d1")["NetworkInterface"]
    eid = eni["NetworkInterfaceId"]
    assert eni["Status"] == "available" and eni["RequesterManaged"] is False
    assert eni["InterfaceType"] == "interface" and eni["SourceDestCheck"] is True
    att = ec2.attach_network_interface(NetworkInterfaceId=eid, InstanceId=iid, DeviceIndex=1)["AttachmentId"]
    assert att.startswith("eni-attach-")
    got = ec2.describe_network_interfaces(NetworkInterfaceIds=[eid])["NetworkInterfaces"][0]
    assert got["Status"] == "in-use"
    assert got["Attachment"]["AttachmentId"] == att and got["Attachment"]["DeleteOnTermination"] is False
    assert got["Attachment"]["Status"] == "attached" and got["Attachment"]["InstanceOwnerId"] == got["OwnerId"]
    assert enis(ec2, "attachment.attachment-id", att) == [eid]
    assert eid in enis(ec2, "attachment.delete-on-termination", "false")
    expect("InvalidParameterValue", ec2.attach_network_interface,
           NetworkInterfaceId=ec2.create_network_interface(SubnetId=net["subnet"])["NetworkInterface"]["NetworkInterfaceId"],
           InstanceId=iid, DeviceIndex=1)
    expect("InvalidNetworkInterface.InUse", ec2.attach_network_interface, NetworkInterfaceId=eid, InstanceId=iid, DeviceIndex=3)
    other = ec2.create_network_interface(SubnetId=net["other"])["NetworkInterface"]["NetworkInterfaceId"]
    expect("InvalidParameterCombination", ec2.attach_network_interface, NetworkInterfaceId=other, InstanceId=iid, DeviceIndex=2)
    expect("InvalidInstanceID", ec2.modify_instance_attribute, InstanceId=iid, Groups=[net["db"]])
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eid, Attachment={"AttachmentId": att, "DeleteOnTermination": True})
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eid, Description={"Value": "d2"})
    a = ec2.describe_network_interface_attribute(NetworkInterfaceId=eid, Attribute="attachment")["Attachment"]
    assert a["DeleteOnTermination"] is True
    assert ec2.describe_network_interface_attribute(NetworkInterfaceId=eid, Attribute="description")["Description"]["Value"] == "d2"
    assert [g["GroupId"] for g in ec2.describe_network_interface_attribute(NetworkInterfaceId=eid, Attribute="groupSet")["Groups"]] == [net["db"]]
    primary = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["NetworkInterfaces"]
    primary = [x for x in primary if x["Attachment"]["DeviceIndex"] == 0][0]["Attachment"]["AttachmentId"]
    expect("OperationNotPermitted", ec2.detach_network_interface, AttachmentId=primary)
    ec2.detach_network_interface(AttachmentId=att, Force=True)
    expect("InvalidAttachmentID.NotFound", ec2.detach_network_interface, AttachmentId=att)
    assert ec2.describe_network_interfaces(NetworkInterfaceIds=[eid])["NetworkInterfaces"][0]["Status"] == "available"
    # One interface again: the instance-level group call works.
    ec2.modify_instance_attribute(InstanceId=iid, Groups=[net["web"], net["db"]])
    d = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert sorted(g["GroupId"] for g in d["SecurityGroups"]) == sorted([net["web"], net["db"]])
    # Terminating deletes the interfaces with DeleteOnTermination and detaches the others.
    ec2.attach_network_interface(NetworkInterfaceId=eid, InstanceId=iid, DeviceIndex=1)
    ec2.terminate_instances(InstanceIds=[iid])
    assert ec2.describe_network_interfaces(NetworkInterfaceIds=[eid])["NetworkInterfaces"][0]["Status"] == "available"


def test_instance_attributes(ec2, net):
    iid = run(ec2, net, SubnetId=net["subnet"])["InstanceId"]
    for attr, key, value in [("instanceType", "InstanceType", "t3.micro"),
                             ("disableApiTermination", "DisableApiTermination", False),
                             ("disableApiStop", "DisableApiStop", False),
                             ("instanceInitiatedShutdownBehavior", "InstanceInitiatedShutdownBehavior", "stop"),
                             ("sourceDestCheck", "SourceDestCheck", True),
                             ("rootDeviceName", "RootDeviceName", "/dev/xvda"),
                             ("ebsOptimized", "EbsOptimized", False)]:
        got = ec2.describe_instance_attribute(InstanceId=iid, Attribute=attr)
        assert got["InstanceId"] == iid and got[key]["Value"] == value, (attr, got)
    assert ec2.describe_instance_attribute(InstanceId=iid, Attribute="blockDeviceMapping")["BlockDeviceMappings"] == []
    ec2.modify_instance_attribute(InstanceId=iid, SourceDestCheck={"Value": False})
    ec2.modify_instance_attribute(InstanceId=iid, DisableApiStop={"Value": True})
    ec2.modify_instance_attribute(InstanceId=iid, InstanceInitiatedShutdownBehavior={"Value": "terminate"})
    assert ec2.describe_instance_attribute(InstanceId=iid, Attribute="sourceDestCheck")["SourceDestCheck"]["Value"] is False
    assert ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["SourceDestCheck"] is False
    assert ec2.describe_instance_attribute(InstanceId=iid, Attribute="disableApiStop")["DisableApiStop"]["Value"] is True
    expect("IncorrectInstanceState", ec2.modify_instance_attribute, InstanceId=iid, InstanceType={"Value": "t3.large"})
    ec2.modify_instance_attribute(InstanceId=iid, DisableApiTermination={"Value": True})
    expect("OperationNotPermitted", ec2.terminate_instances, InstanceIds=[iid])
    ec2.modify_instance_attribute(InstanceId=iid, DisableApiTermination={"Value": False})
    ec2.terminate_instances(InstanceIds=[iid])


def test_the_reads_aws_instance_makes(ec2, net):
    img = ec2.describe_images(ImageIds=["ami-0123456789abcdef0"])["Images"][0]
    assert img["State"] == "available" and img["RootDeviceName"] == "/dev/xvda"
    expect("InvalidAMIID.Malformed", ec2.describe_images, ImageIds=["ami-nope"])
    t = ec2.describe_instance_types(InstanceTypes=["t3.micro"])["InstanceTypes"][0]
    assert t["BurstablePerformanceSupported"] is True and t["VCpuInfo"]["DefaultVCpus"] == 2
    iid = run(ec2, net, SubnetId=net["subnet"], CreditSpecification={"CpuCredits": "standard"})["InstanceId"]
    c = ec2.describe_instance_credit_specifications(InstanceIds=[iid])["InstanceCreditSpecifications"]
    assert c == [{"InstanceId": iid, "CpuCredits": "standard"}]
    d = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert d["RootDeviceType"] == "ebs" and d["MetadataOptions"]["HttpEndpoint"] == "enabled"
    assert d["CpuOptions"] == {"CoreCount": 1, "ThreadsPerCore": 2}
    assert d["Monitoring"]["State"] == "disabled" and d["EbsOptimized"] is False
    expect("InvalidInstanceID.NotFound", ec2.describe_instances, InstanceIds=["i-0123456789abcdef0"])
    expect("InvalidInstanceID.Malformed", ec2.describe_instances, InstanceIds=["i-nope"])
    expect("InvalidNetworkInterfaceID.NotFound", ec2.describe_network_interfaces, NetworkInterfaceIds=["eni-0123456789abcdef0"])
    ec2.terminate_instances(InstanceIds=[iid])


def test_eni_filters(ec2, net):
    eni = ec2.create_network_interface(SubnetId=net["subnet"], Groups=[net["web"]], Description="filtered",
                                       PrivateIpAddresses=[{"PrivateIpAddress": f"10.{net['n']}.1.50", "Primary": True},
                                                           {"PrivateIpAddress": f"10.{net['n']}.1.51", "Primary": False}])["NetworkInterface"]
    eid = eni["NetworkInterfaceId"]
    checks = [("addresses.private-ip-address", f"10.{net['n']}.1.51"), ("private-ip-address", f"10.{net['n']}.1.50"),
              ("addresses.primary", "false"), ("availability-zone", "us-east-1a"), ("description", "filtered"),
              ("group-id", net["web"]), ("interface-type", "interface"), ("mac-address", eni["MacAddress"]),
              ("network-interface-id", eid), ("owner-id", eni["OwnerId"]),
              ("private-dns-name", f"ip-10-{net['n']}-1-50.ec2.internal"), ("requester-managed", "false"),
              ("source-dest-check", "true"), ("status", "available"), ("subnet-id", net["subnet"]), ("vpc-id", net["vpc"])]
    for name, value in checks:
        assert eid in enis(ec2, name, value), name
    assert eid not in enis(ec2, "status", "in-use")
    assert enis(ec2, "attachment.instance-owner-id", eni["OwnerId"]).count(eid) == 0


def test_cli_attach_and_describe(aws, ec2, net):
    iid = run(ec2, net, SubnetId=net["subnet"])["InstanceId"]
    rc, eni = aws("ec2", "create-network-interface", "--subnet-id", net["subnet"])
    assert rc == 0, eni
    eid = eni["NetworkInterface"]["NetworkInterfaceId"]
    rc, out = aws("ec2", "attach-network-interface", "--network-interface-id", eid, "--instance-id", iid, "--device-index", "1")
    assert rc == 0 and out["AttachmentId"].startswith("eni-attach-"), out
    rc, out = aws("ec2", "describe-network-interfaces", "--filters", f"Name=attachment.instance-id,Values={iid}")
    assert rc == 0 and len(out["NetworkInterfaces"]) == 2, out
    rc, out = aws("ec2", "describe-instance-attribute", "--instance-id", iid, "--attribute", "groupSet")
    assert rc == 0 and len(out["Groups"]) == 1, out
    rc, out = aws("ec2", "detach-network-interface", "--attachment-id", "eni-attach-0123456789abcdef0")
    assert rc != 0 and "InvalidAttachmentID.NotFound" in out
    rc, out = aws("ec2", "terminate-instances", "--instance-ids", iid)
    assert rc == 0 and out["TerminatingInstances"][0]["CurrentState"]["Name"] == "shutting-down", out
