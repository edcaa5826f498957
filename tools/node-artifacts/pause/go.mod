module pulumi-kubeadm-aws.local/pause

go 1.22
